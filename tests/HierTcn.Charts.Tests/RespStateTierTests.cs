using HierTcn.Charts.Tests.Support;
using HierTcn.StateStore.Client;
using k8s.Models;

namespace HierTcn.Charts.Tests;

/// <summary>The state tier on a RESP cluster (<c>stateStore.engine</c> garnet or redis) as helm renders it: the
/// engine's StatefulSet with its volumes, the headless Service, the bootstrap Job, the inference pods' RESP settings
/// (every node's stable name on the RESP port, the wait for replicas, TLS and the password) in place of the shard
/// list, and the NetworkPolicies on the RESP ports. The generic checks (types, references, security, the endpoints
/// against the StatefulSet) run on the same sets in ChartRenderTests; these pin what each engine needs.</summary>
public sealed class RespStateTierTests
{
    private sealed record Tier(IReadOnlyList<RenderedObject> Objects)
    {
        public RenderedObject Set => Objects.Single(o => o.Kind == "StatefulSet");

        public V1Container Node => Set.As<V1StatefulSet>().Spec.Template.Spec.Containers.Single();

        public V1Service Service => Objects.Single(o => o.Kind == "Service" && o.Name == Set.Name).As<V1Service>();

        public V1Job Job => Objects.Single(o => o.Kind == "Job").As<V1Job>();

        public IDictionary<string, string> Inference => Objects.Single(o => o.Kind == "ConfigMap" && o.Name == "recs-hiertcn-inference").As<V1ConfigMap>().Data;

        public V1PodSpec InferencePod => Objects.Single(o => o.Kind == "Deployment").As<V1Deployment>().Spec.Template.Spec;

        public V1NetworkPolicy Policy(string name) => Objects.Single(o => o.Kind == "NetworkPolicy" && o.Name == name).As<V1NetworkPolicy>();

        public string[] Endpoints => [.. Inference.Where(kv => kv.Key.StartsWith("StateStoreClient__Resp__Endpoints__", StringComparison.Ordinal))
            .OrderBy(kv => int.Parse(kv.Key[(kv.Key.LastIndexOf('_') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Select(kv => kv.Value)];
    }

    private static Tier Render(string set)
    {
        var (objects, problems) = ChartRenderer.RenderAndCheck(ValueSets.Named(set));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        return new Tier(objects);
    }

    private static string Arg(V1Container c, string option) => c.Args[c.Args.IndexOf(option) + 1];

    private static int Port(V1Container c, string name) => c.Ports.Single(p => p.Name == name).ContainerPort;

    [HelmFact]
    public void HelmTemplate_Redis_ClusterOfPrimariesAndReplicasWithAppendOnlyFileOnVolumes()
    {
        var tier = Render("redis-cluster");
        Assert.Equal("recs-hiertcn-redis", tier.Set.Name);
        var spec = tier.Set.As<V1StatefulSet>().Spec;
        Assert.Equal(6, spec.Replicas); // 3 primaries, 1 replica each
        Assert.Equal("Parallel", spec.PodManagementPolicy);
        Assert.DoesNotContain(tier.Objects, o => o.Name == "recs-hiertcn-state" && o.Kind is "StatefulSet" or "Service");
        var node = tier.Node;
        Assert.Equal("docker.io/library/redis:7.0.15", node.Image);
        Assert.Equal(["sh", "-c"], node.Command.Take(2));
        Assert.StartsWith("exec redis-server - \"$@\" <<EOF", node.Command[2], StringComparison.Ordinal);
        Assert.DoesNotContain("requirepass", node.Command[2], StringComparison.Ordinal);
        Assert.Equal("yes", Arg(node, "--cluster-enabled"));
        Assert.Equal("yes", Arg(node, "--appendonly"));
        Assert.Equal("always", Arg(node, "--appendfsync"));
        Assert.Equal("", Arg(node, "--save"));
        Assert.Equal("/data", Arg(node, "--dir"));
        Assert.Equal("/data/nodes.conf", Arg(node, "--cluster-config-file"));
        Assert.Equal("6379", Arg(node, "--port"));
        Assert.Equal("$(POD_NAME).recs-hiertcn-redis.recs.svc.cluster.local", Arg(node, "--cluster-announce-hostname"));
        Assert.Equal("metadata.name", node.Env.Single(e => e.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal((6379, 16379), (Port(node, "resp"), Port(node, "bus")));
        Assert.Equal("/data", node.VolumeMounts.Single(m => m.Name == "data").MountPath);
        var claim = spec.VolumeClaimTemplates.Single();
        Assert.Equal("data", claim.Metadata.Name);
        Assert.Equal("20Gi", claim.Spec.Resources.Requests["storage"].ToString());
        Assert.Equal("Retain", spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted);
        Assert.Equal("resp", node.ReadinessProbe.TcpSocket.Port.Value);

        var service = tier.Service;
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.True(service.Spec.PublishNotReadyAddresses);
        Assert.Equal([("resp", 6379), ("bus", 16379)], service.Spec.Ports.Select(p => (p.Name, p.Port)));
    }

    [HelmFact]
    public void HelmTemplate_Redis_BootstrapJobFormsClusterOnceAfterInstall()
    {
        var tier = Render("redis-cluster");
        var job = tier.Job;
        Assert.Equal("recs-hiertcn-redis-bootstrap", tier.Objects.Single(o => o.Kind == "Job").Name);
        Assert.Equal("post-install,post-upgrade", job.Metadata.Annotations["helm.sh/hook"]);
        Assert.Contains("before-hook-creation", job.Metadata.Annotations["helm.sh/hook-delete-policy"], StringComparison.Ordinal);
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        var bootstrap = pod.Containers.Single();
        var env = bootstrap.Env.ToDictionary(e => e.Name, e => e.Value);
        // It walks exactly the StatefulSet's pods by their stable names, on the RESP port.
        Assert.Equal("6", env["NODES"]);
        Assert.Equal("1", env["REPLICAS"]);
        Assert.Equal("6379", env["PORT"]);
        Assert.Equal(tier.Set.Name, env["SET"]);
        Assert.Equal($"{tier.Service.Metadata.Name}.recs.svc.cluster.local", env["DOMAIN"]);
        Assert.Equal("", env["CLI_TLS"]);
        string script = bootstrap.Command[2];
        Assert.Contains("redis-cli $CLI_TLS --cluster create $nodes --cluster-replicas \"$REPLICAS\" --cluster-yes", script, StringComparison.Ordinal);
        // Already formed (an upgrade, a rerun): nothing is created again.
        int check = script.IndexOf("cluster nodes | grep -c .", StringComparison.Ordinal);
        Assert.True(check > 0 && check < script.IndexOf("--cluster create", StringComparison.Ordinal), script);
    }

    [HelmFact]
    public void HelmTemplate_Redis_InferenceGetsEveryNodeOnRespPortInsteadOfShards()
    {
        var tier = Render("redis-cluster");
        var data = tier.Inference;
        Assert.Equal("Resp", data["RecommenderServer__StateStoreMode"]);
        Assert.DoesNotContain(data.Keys, k => k.StartsWith("StateStoreClient__Shards__", StringComparison.Ordinal) || k == "StateStoreClient__CallTimeout");
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"recs-hiertcn-redis-{i}.recs-hiertcn-redis.recs.svc.cluster.local:{Port(tier.Node, "resp")}"), tier.Endpoints);
        Assert.Equal("0", data["StateStoreClient__Resp__WaitForReplicas"]);
        Assert.Equal("0.00:00:05.000", data["StateStoreClient__Resp__CallTimeout"]);
        Assert.DoesNotContain(data.Keys, k => k.StartsWith("StateStoreClient__Resp__Tls", StringComparison.Ordinal) || k.EndsWith("PasswordFile", StringComparison.Ordinal));

        // The server accepts the mode, and the settings as it binds them (section StateStoreClient:Resp) are valid.
        Assert.Empty(new HierTcn.Inference.Server.RecommenderServerOptions { StateStoreMode = data["RecommenderServer__StateStoreMode"] }.Validate());
        var options = new RespStateStoreOptions
        {
            Endpoints = tier.Endpoints,
            WaitForReplicas = int.Parse(data["StateStoreClient__Resp__WaitForReplicas"], System.Globalization.CultureInfo.InvariantCulture),
            CallTimeout = TimeSpan.Parse(data["StateStoreClient__Resp__CallTimeout"], System.Globalization.CultureInfo.InvariantCulture),
            ReplicaWaitTimeout = TimeSpan.Parse(data["StateStoreClient__Resp__ReplicaWaitTimeout"], System.Globalization.CultureInfo.InvariantCulture),
        };
        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromSeconds(1), options.ReplicaWaitTimeout);
    }

    [HelmFact]
    public void HelmTemplate_Redis_NetworkPoliciesOpenRespAndBusPortsOnly()
    {
        var tier = Render("redis-cluster");
        var state = tier.Policy("recs-hiertcn-state");
        var labels = tier.Set.As<V1StatefulSet>().Spec.Template.Metadata.Labels;
        Assert.True(ManifestChecks.Selects(state.Spec.PodSelector, labels));
        var commands = state.Spec.Ingress.Single(r => r.Ports.Any(p => p.Port.Value == "resp"));
        Assert.Equal(["inference", "state-bootstrap", "state-store"], commands.FromProperty.Select(p => p.PodSelector.MatchLabels["app.kubernetes.io/component"]));
        var bus = state.Spec.Ingress.Single(r => r.Ports.Any(p => p.Port.Value == "bus"));
        Assert.Equal(["state-store"], bus.FromProperty.Select(p => p.PodSelector.MatchLabels["app.kubernetes.io/component"]));
        Assert.Equal(["resp", "bus"], state.Spec.Ingress.SelectMany(r => r.Ports).Select(p => p.Port.Value));
        // The bootstrap Job's pods are the ones the rule admits.
        Assert.True(ManifestChecks.Selects(commands.FromProperty[1].PodSelector, tier.Job.Spec.Template.Metadata.Labels));

        var egress = tier.Policy("recs-hiertcn-inference-egress").Spec.Egress
            .Single(r => r.To.Any(p => p.PodSelector is not null && ManifestChecks.Selects(p.PodSelector, labels)));
        Assert.Equal(Port(tier.Node, "resp").ToString(System.Globalization.CultureInfo.InvariantCulture), egress.Ports.Single().Port.Value);
    }

    [HelmFact]
    public void HelmTemplate_Garnet_ClusterLuaTransactionsAndFlushedAppendOnlyFile()
    {
        var tier = Render("garnet-cluster");
        Assert.Equal("recs-hiertcn-garnet", tier.Set.Name);
        Assert.Equal(12, tier.Set.As<V1StatefulSet>().Spec.Replicas); // 4 primaries, 2 replicas each
        var node = tier.Node;
        Assert.Equal("ghcr.io/microsoft/garnet:2.2.12", node.Image);
        Assert.Null(node.Command);
        foreach (string flag in new[] { "--cluster", "--lua", "--lua-transaction-mode", "--aof", "--aof-commit-wait", "--recover", "--storage-tier" })
            Assert.Contains(flag, node.Args);
        Assert.Equal("7000", Arg(node, "--port"));
        Assert.Equal("2g", Arg(node, "--memory"));
        Assert.Equal("256m", Arg(node, "--index"));
        Assert.Equal(["--cluster-timeout", "30"], node.Args.TakeLast(2));
        Assert.StartsWith("/data/", Arg(node, "--logdir"), StringComparison.Ordinal);
        Assert.StartsWith("/data/", Arg(node, "--checkpointdir"), StringComparison.Ordinal);
        // Garnet's peers use the RESP port: there is no bus port to open.
        Assert.Equal(["resp"], node.Ports.Select(p => p.Name));
        Assert.Equal(["resp"], tier.Service.Spec.Ports.Select(p => p.Name));
        Assert.Equal(["resp"], tier.Policy("recs-hiertcn-state").Spec.Ingress.SelectMany(r => r.Ports).Select(p => p.Port.Value));

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"recs-hiertcn-garnet-{i}.recs-hiertcn-garnet.recs.svc.cluster.local:7000"), tier.Endpoints);
        Assert.Equal("0", tier.Inference["StateStoreClient__Resp__WaitForReplicas"]);
        var env = tier.Job.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal(("12", "2", "7000", "recs-hiertcn-garnet"), (env["NODES"], env["REPLICAS"], env["PORT"], env["SET"]));
        // The nodes export no /metrics: only inference is scraped.
        Assert.Equal(["recs-hiertcn-inference"], tier.Objects.Where(o => o.Kind == "ServiceMonitor").Select(o => o.Name));
    }

    [HelmFact]
    public void HelmTemplate_RedisSecure_TlsEverywhereAndPasswordFromSecretNeverInArguments()
    {
        var tier = Render("redis-secure");
        var node = tier.Node;
        Assert.Equal("0", Arg(node, "--port"));
        Assert.Equal("6379", Arg(node, "--tls-port"));
        Assert.Equal(("yes", "yes", "yes"), (Arg(node, "--tls-cluster"), Arg(node, "--tls-replication"), Arg(node, "--tls-auth-clients")));
        Assert.Equal("everysec", Arg(node, "--appendfsync"));
        var tls = tier.Set.As<V1StatefulSet>().Spec.Template.Spec.Volumes.Single(v => v.Name == "tls").Secret;
        Assert.Equal("hiertcn-redis-tls", tls.SecretName);
        Assert.Equal("/etc/hiertcn/tls/ca.crt", Arg(node, "--tls-ca-cert-file"));
        // The password reaches redis-server on stdin, from the Secret.
        var password = node.Env.Single(e => e.Name == "RESP_PASSWORD").ValueFrom.SecretKeyRef;
        Assert.Equal(("hiertcn-redis-password", "redis-password"), (password.Name, password.Key));
        Assert.Contains("requirepass \"$RESP_PASSWORD\"", node.Command[2], StringComparison.Ordinal);
        Assert.Contains("masterauth \"$RESP_PASSWORD\"", node.Command[2], StringComparison.Ordinal);
        Assert.DoesNotContain(node.Args, a => a.Contains("PASSWORD", StringComparison.Ordinal));

        var data = tier.Inference;
        Assert.Equal("true", data["StateStoreClient__Resp__Tls"]);
        Assert.Equal("/etc/hiertcn/state-store-ca/ca.crt", data["StateStoreClient__Resp__Security__CaFile"]);
        Assert.Equal("/etc/hiertcn/client-tls/tls.crt", data["StateStoreClient__Resp__Security__CertificateFile"]);
        Assert.Equal("1", data["StateStoreClient__Resp__WaitForReplicas"]);
        Assert.Equal("/etc/hiertcn/state-store-password/password", data["StateStoreClient__Resp__PasswordFile"]);
        var secret = tier.InferencePod.Volumes.Single(v => v.Name == "state-store-password").Secret;
        Assert.Equal(("hiertcn-redis-password", "redis-password", "password"), (secret.SecretName, secret.Items.Single().Key, secret.Items.Single().Path));
        Assert.Equal("hiertcn-redis-tls", tier.InferencePod.Volumes.Single(v => v.Name == "state-store-ca").Secret.SecretName);

        var job = tier.Job.Spec.Template.Spec;
        var bootstrap = job.Containers.Single();
        Assert.Equal("hiertcn-redis-password", bootstrap.Env.Single(e => e.Name == "REDISCLI_AUTH").ValueFrom.SecretKeyRef.Name);
        Assert.Contains("--tls --cacert /etc/hiertcn/tls/ca.crt", bootstrap.Env.Single(e => e.Name == "CLI_TLS").Value, StringComparison.Ordinal);
        Assert.Equal("hiertcn-redis-tls", job.Volumes.Single(v => v.Name == "tls").Secret.SecretName);
    }

    [Fact]
    public void Schema_EngineNotOneOfTheThree_Refused()
    {
        var schema = ValuesSchema.Load(ChartPaths.Schema);
        var values = ValueSets.Named("state-engine-unknown").MergedValues(ChartPaths.Chart);
        var problems = schema.Check(values);
        Assert.Contains(problems, p => p.Contains("stateStore", StringComparison.Ordinal) && p.Contains("engine", StringComparison.Ordinal));
        foreach (string engine in new[] { "faster", "garnet", "redis" })
        {
            values["stateStore"]!["engine"] = engine;
            Assert.Empty(schema.Check(values));
        }
    }
}
