using HierTcn.Charts.Tests.Support;
using k8s.Models;

namespace HierTcn.Charts.Tests;

/// <summary>The inference pods' access to their experiment ConfigMap through the Kubernetes API (<c>models.apiWatch</c>,
/// templates/inference-experiment-rbac.yaml) as helm renders it: with the watch on, a Role that allows get, list and
/// watch on the one rendered experiment ConfigMap and nothing else, bound to the ServiceAccount the inference pods
/// run as, whose token only those pods mount, the server told the ConfigMap's name, and egress to the API server
/// where egress is restricted; with it off, none of that.</summary>
public sealed class ExperimentAccessTests
{
    [HelmTheory]
    [InlineData("defaults")]
    [InlineData("sync-three-arms")]
    [InlineData("gpu-volume-monitored")]
    [InlineData("bare")]
    public void HelmTemplate_ApiWatch_RoleScopedToTheExperimentConfigMapAndBoundToInference(string setName)
    {
        var set = ValueSets.Named(setName);
        var values = set.MergedValues(ChartPaths.Chart);
        bool watch = values["models"]!["apiWatch"]!.GetValue<bool>();
        var (objects, problems) = ChartRenderer.RenderAndCheck(set);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.DoesNotContain(objects, o => o.Kind is "ClusterRole" or "ClusterRoleBinding");

        var deployment = objects.Single(o => o.Kind == "Deployment" && o.Name.EndsWith("-inference", StringComparison.Ordinal)).As<V1Deployment>();
        var pod = deployment.Spec.Template.Spec;
        var settings = objects.Single(o => o.Kind == "ConfigMap" && o.Name == deployment.Metadata.Name).As<V1ConfigMap>().Data;
        var experiment = objects.Single(o => o.Kind == "ConfigMap" && o.Name == deployment.Metadata.Name + "-experiment").As<V1ConfigMap>();
        var otherPods = objects.Select(o => o.Model switch
        {
            V1StatefulSet s => s.Spec.Template.Spec,
            V1Job j => j.Spec.Template.Spec,
            V1CronJob c => c.Spec.JobTemplate.Spec.Template.Spec,
            _ => null,
        }).OfType<V1PodSpec>().ToList();
        Assert.NotEmpty(otherPods);
        if (!watch)
        {
            Assert.DoesNotContain(objects, o => o.Kind is "Role" or "RoleBinding");
            Assert.NotEqual(true, pod.AutomountServiceAccountToken);
            Assert.False(settings.ContainsKey("RecommenderServer__ExperimentConfigMap"));
            return;
        }

        var role = Assert.Single(objects, o => o.Kind == "Role").As<V1Role>();
        var rule = Assert.Single(role.Rules);
        Assert.Equal([""], rule.ApiGroups);
        Assert.Equal(["configmaps"], rule.Resources);
        Assert.Equal([experiment.Metadata.Name], rule.ResourceNames);
        Assert.Equal(["get", "list", "watch"], rule.Verbs.Order());

        var binding = Assert.Single(objects, o => o.Kind == "RoleBinding").As<V1RoleBinding>();
        Assert.Equal(("rbac.authorization.k8s.io", "Role", role.Metadata.Name), (binding.RoleRef.ApiGroup, binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", pod.ServiceAccountName, "recs"), (subject.Kind, subject.Name, subject.NamespaceProperty));

        // The token is mounted where it is used: the inference pods, and no other workload of the chart; the
        // ServiceAccount the chart creates mounts none by default.
        Assert.True(pod.AutomountServiceAccountToken);
        Assert.All(otherPods, p => Assert.NotEqual(true, p.AutomountServiceAccountToken));
        if (values["serviceAccount"]!["create"]!.GetValue<bool>())
        {
            var account = Assert.Single(objects, o => o.Kind == "ServiceAccount").As<V1ServiceAccount>();
            Assert.Equal(pod.ServiceAccountName, account.Metadata.Name);
            Assert.False(account.AutomountServiceAccountToken);
        }

        // The server watches that ConfigMap, under the key it mounts as the experiment file.
        Assert.Equal(experiment.Metadata.Name, settings["RecommenderServer__ExperimentConfigMap"]);
        Assert.Contains(Path.GetFileName(settings["RecommenderServer__ExperimentFile"]), experiment.Data.Keys);

        var policy = values["networkPolicy"]!;
        if (policy["enabled"]!.GetValue<bool>() && policy["egress"]!["enabled"]!.GetValue<bool>() && policy["egress"]!["apiServerTo"]!.AsArray().Count > 0)
        {
            var egress = objects.Where(o => o.Kind == "NetworkPolicy").Select(o => o.As<V1NetworkPolicy>()).Single(p => p.Spec.PolicyTypes.Contains("Egress"));
            // The policy selects the inference pods, and one of its rules opens the API server's peers on its ports.
            Assert.NotEmpty(egress.Spec.PodSelector.MatchLabels);
            Assert.All(egress.Spec.PodSelector.MatchLabels, l => Assert.Equal(l.Value, deployment.Spec.Template.Metadata.Labels[l.Key]));
            var ports = policy["egress"]!["apiServerPorts"]!.AsArray().Select(p => p!.GetValue<long>().ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var cidrs = policy["egress"]!["apiServerTo"]!.AsArray().Select(p => p!["ipBlock"]?["cidr"]?.GetValue<string>()).ToList();
            Assert.Contains(egress.Spec.Egress, r => ports.Order().SequenceEqual(r.Ports.Select(p => p.Port.Value).Order())
                && cidrs.SequenceEqual(r.To.Select(t => t.IpBlock?.Cidr)));
        }
    }
}
