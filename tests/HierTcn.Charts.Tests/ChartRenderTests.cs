using HierTcn.Charts.Tests.Support;
using k8s.Models;
using Xunit.Abstractions;

namespace HierTcn.Charts.Tests;

/// <summary>
/// The chart rendered by the pinned helm (charts/tools/get-helm.sh) for every value set of TestData/value-sets.yaml:
/// `helm lint --strict` passes, every rendered object parses strictly as its Kubernetes API type or fits its CRD
/// schema, and the objects fit together (<see cref="ManifestChecks"/>); the sets that must fail stop with their
/// message; and a broken template or value is reported. Skipped where helm cannot be had.
/// </summary>
public sealed class ChartRenderTests(ITestOutputHelper output)
{
    /// <summary>Faults the checks must report, each in a copy of the chart or in the values.</summary>
    private static readonly Dictionary<string, ChartMutation> Mutations = new()
    {
        ["unknown-field"] = new("defaults", "templates/inference-deployment.yaml",
            "      terminationGracePeriodSeconds:", "      terminationGracePeriod:", null,
            "'terminationGracePeriod' could not be mapped to any .NET member contained in type 'k8s.Models.V1PodSpec'"),
        ["number-where-string"] = new("defaults", "templates/state-statefulset.yaml",
            ".Values.tls.enabled | quote }}", ".Values.tls.enabled }}", null,
            "The JSON value could not be converted to System.String. Path: $.spec.template.spec.containers[0].env[0].value"),
        ["string-where-number"] = new("defaults", "templates/inference-deployment.yaml",
            "containerPort: {{ .Values.inference.grpcPort }}", "containerPort: {{ .Values.inference.grpcPort | quote }}", null,
            "could not be converted to System.Int32. Path: $.spec.template.spec.containers[0].ports[0].containerPort"),
        ["removed-api-version"] = new("defaults", "templates/inference-pdb.yaml", "policy/v1", "policy/v1beta1", null,
            "apiVersion 'policy/v1beta1' kind 'PodDisruptionBudget' is neither a Kubernetes API type"),
        ["service-wrong-selector"] = new("defaults", "templates/inference-service.yaml",
            "(dict \"ctx\" . \"component\" \"inference\")", "(dict \"ctx\" . \"component\" \"inferenc\")", null,
            "Service/recs-hiertcn-inference (hiertcn/templates/inference-service.yaml): selector {app.kubernetes.io/name=hiertcn, app.kubernetes.io/instance=recs, app.kubernetes.io/component=inferenc} selects no pods"),
        ["service-unknown-target-port"] = new("defaults", "templates/state-service.yaml", "targetPort: grpc", "targetPort: grcp", null,
            "port grpc targets grcp, which no container of StatefulSet/recs-hiertcn-state declares"),
        ["probe-on-missing-port"] = new("defaults", "templates/state-statefulset.yaml",
            "port: {{ include \"hiertcn.probePort\" (dict \"ctx\" . \"port\" .Values.stateStore.grpcPort) }}\n            periodSeconds: 5", "port: 5081\n            periodSeconds: 5", null,
            "container state-store: startup probe port 5081 is not one of the container's ports"),
        ["network-policy-unknown-port"] = new("defaults", "templates/networkpolicy.yaml", "- port: grpc", "- port: h2c", null,
            "NetworkPolicy/recs-hiertcn-state (hiertcn/templates/networkpolicy.yaml): port h2c is not a port of any container of StatefulSet/recs-hiertcn-state"),
        ["missing-configmap"] = new("defaults", "templates/inference-deployment.yaml",
            "name: {{ $name }}\n          env:", "name: {{ $name }}-env\n          env:", null,
            "container inference envFrom uses ConfigMap 'recs-hiertcn-inference-env', which is neither rendered nor named in the values"),
        ["shard-count"] = new("defaults", "templates/_helpers.tpl",
            "until (int .Values.stateStore.shards)", "until (int (add1 .Values.stateStore.shards))", null,
            "3 shard addresses for StatefulSet recs-hiertcn-state of 2 replicas"),
        ["shard-count-not-passed"] = new("cpu-example", "templates/state-statefulset.yaml",
            "value: {{ .Values.stateStore.shards | quote }}", "value: \"1\"", null,
            "StatefulSet/recs-hiertcn-state (hiertcn/templates/state-statefulset.yaml): container state-store: StateStoreServer__ShardCount is '1', not the 4 replicas the clients address"),
        ["shard-index-not-passed"] = new("defaults", "templates/state-statefulset.yaml",
            "fieldPath: metadata.name", "fieldPath: metadata.namespace", null,
            "container state-store: StateStoreServer__PodName does not come from the pod's metadata.name"),
        ["shard-host"] = new("defaults", "templates/_helpers.tpl",
            "\"%s://%s-%d.%s.%s.svc", "\"%s://%s-%d.%s-svc.%s.svc", null,
            "shard 0 address 'http://recs-hiertcn-state-0.recs-hiertcn-state-svc.recs.svc.cluster.local:5080' is not on host recs-hiertcn-state-0.recs-hiertcn-state.recs.svc.cluster.local"),
        ["shard-port"] = new("defaults", "templates/_helpers.tpl",
            "(int $.Values.stateStore.grpcPort)", "(int $.Values.stateStore.metricsPort)", null,
            "shard 0 address 'http://recs-hiertcn-state-0.recs-hiertcn-state.recs.svc.cluster.local:9464' is not on the grpc container port"),
        ["sidecar-writable-root"] = new("gpu-example", "templates/_sync.tpl",
            "securityContext:\n  {{- toYaml .ctx.Values.securityContext | nindent 2 }}\n", "", null,
            "Deployment/recs-hiertcn-inference (hiertcn/templates/inference-deployment.yaml): container artifacts-init has a writable root filesystem"),
        ["autoscaler-wrong-target"] = new("defaults", "templates/inference-hpa.yaml", "kind: Deployment", "kind: StatefulSet", null,
            "scaleTargetRef apps/v1 StatefulSet/recs-hiertcn-inference is not a rendered workload"),
        ["servicemonitor-unknown-field"] = new("cpu-example", "templates/servicemonitor.yaml", "scrapeTimeout:", "scrape_timeout:", null,
            "ServiceMonitor/recs-hiertcn-inference: /spec/endpoints/0/scrape_timeout: unknown field 'scrape_timeout'"),
        ["servicemonitor-wrong-port"] = new("cpu-example", "templates/servicemonitor.yaml", "- port: metrics", "- port: metric", null,
            "endpoint port 'metric' is not a port of any Service it selects"),
        ["prometheusrule-bad-duration"] = new("cpu-example", "files/prometheus-rules.yaml", "for: 10m", "for: 10 minutes", null,
            "PrometheusRule/recs-hiertcn: /spec/groups/"),
        ["network-policy-peer-matches-nothing"] = new("defaults", "templates/networkpolicy.yaml",
            "\"component\" \"inference\") | nindent 14", "\"component\" \"inferenc\") | nindent 14", null,
            "NetworkPolicy/recs-hiertcn-state (hiertcn/templates/networkpolicy.yaml): peer podSelector {app.kubernetes.io/name=hiertcn, app.kubernetes.io/instance=recs, app.kubernetes.io/component=inferenc} selects no pods"),
        ["replicas-beside-autoscaler"] = new("defaults", "templates/inference-deployment.yaml",
            "{{- if not .Values.inference.autoscaling.enabled }}", "{{- if true }}", null,
            "its target Deployment/recs-hiertcn-inference sets spec.replicas, which every helm upgrade would reset"),
        ["sidecar-without-cpu-request"] = new("gpu-example", "templates/_sync.tpl",
            "resources:\n  {{- toYaml .ctx.Values.artifacts.sync.resources | nindent 2 }}", "resources: {}", null,
            "scales on cpu utilisation, but container artifacts-sync of Deployment/recs-hiertcn-inference requests no cpu"),
        ["missing-secret"] = new("gpu-example", "templates/_sync.tpl", "name: {{ . }}", "name: {{ . }}-keys", null,
            "container artifacts-sync envFrom uses Secret 'hiertcn-rclone-keys', which is neither rendered nor named in the values"),
        ["caller-authority-not-where-read"] = new("secure-certificate-callers", "templates/inference-deployment.yaml",
            "caKey }}\n                path: ca.crt", "caKey }}\n                path: callers.crt", null,
            "container inference: Tls__ClientCaFile names '/etc/hiertcn/client-ca/ca.crt', but volume client-ca holds only callers.crt"),
        ["experiment-file-unmounted"] = new("defaults", "templates/inference-deployment.yaml",
            "mountPath: {{ include \"hiertcn.experimentFile\" . | dir }}", "mountPath: /etc/hiertcn/experiments", null,
            "container inference: RecommenderServer__ExperimentFile names '/etc/hiertcn/experiment/experiment.json', which is in none of the container's volume mounts"),
        ["experiment-file-key"] = new("defaults", "templates/inference-experiment-configmap.yaml", "  experiment.json:", "  experiments.json:", null,
            "RecommenderServer__ExperimentFile names '/etc/hiertcn/experiment/experiment.json', but ConfigMap recs-hiertcn-inference-experiment (volume experiment) has no key 'experiment.json'"),
        ["resp-endpoint-count"] = new("redis-cluster", "templates/inference-configmap.yaml",
            "until (int (include \"hiertcn.respNodes\" .))", "until (int (add1 (include \"hiertcn.respNodes\" .)))", null,
            "7 RESP endpoints for StatefulSet recs-hiertcn-redis of 6 nodes"),
        ["resp-endpoint-port"] = new("garnet-cluster", "templates/inference-configmap.yaml",
            "(int $.Values.stateStore.resp.port) | quote", "(int 6379) | quote", null,
            "RESP endpoint 0 'recs-hiertcn-garnet-0.recs-hiertcn-garnet.recs.svc.cluster.local:6379' is not on the resp container port of recs-hiertcn-garnet (7000)"),
        ["resp-endpoint-host"] = new("redis-cluster", "templates/_helpers.tpl",
            "\"%s-%d.%s.%s.svc.cluster.local\" $name (int .i) $name", "\"%s-%d.%s.%s.svc.cluster.local\" $name (int .i) \"redis\"", null,
            "RESP endpoint 0 'recs-hiertcn-redis-0.redis.recs.svc.cluster.local:6379' is not on host recs-hiertcn-redis-0.recs-hiertcn-redis.recs.svc.cluster.local"),
        ["resp-network-policy-unknown-port"] = new("redis-cluster", "templates/networkpolicy.yaml", "- port: bus", "- port: cluster-bus", null,
            "NetworkPolicy/recs-hiertcn-state (hiertcn/templates/networkpolicy.yaml): port cluster-bus is not a port of any container of StatefulSet/recs-hiertcn-redis"),
        ["value-env-number"] = new("defaults", null, null, null, "inference: {extraEnv: [{name: DOTNET_TieredPGO, value: 0}]}",
            "The JSON value could not be converted to System.String. Path: $.spec.template.spec.containers[0].env[2].value"),
        ["value-toleration-typo"] = new("defaults", null, null, null, "stateStore: {tolerations: [{key: dedicated, operatr: Exists}]}",
            "'operatr' could not be mapped to any .NET member contained in type 'k8s.Models.V1Toleration'"),
    };

    public static TheoryData<string> MutationNames => new(Mutations.Keys);

    [HelmTheory]
    [MemberData(nameof(ValueSets.Rendering), MemberType = typeof(ValueSets))]
    public void HelmLint_ValueSet_PassesStrict(string name)
    {
        var (code, text) = ChartRenderer.Lint(ValueSets.Named(name));
        output.WriteLine(text);
        Assert.True(code == 0, $"helm lint --strict with value set {name} failed:\n{text}");
        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", text);
    }

    [HelmTheory]
    [MemberData(nameof(ValueSets.Rendering), MemberType = typeof(ValueSets))]
    public void HelmTemplate_ValueSet_RendersValidObjectsThatFitTogether(string name)
    {
        var set = ValueSets.Named(name);
        var (objects, problems) = ChartRenderer.RenderAndCheck(set);
        foreach (var o in objects)
            output.WriteLine(o.ToString());
        Assert.True(problems.Count == 0, $"value set {name}:\n" + string.Join('\n', problems));
        var kinds = objects.GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(set.Kinds!.OrderBy(kv => kv.Key), kinds.OrderBy(kv => kv.Key));
        // Every object but the custom resources went through its API model.
        Assert.All(objects.Where(o => o.ApiVersion != "monitoring.coreos.com/v1"), o => Assert.NotNull(o.Model));
    }

    [HelmTheory]
    [MemberData(nameof(ValueSets.Failing), MemberType = typeof(ValueSets))]
    public void HelmTemplate_RequiredValueMissingOrWrong_FailsWithMessage(string name)
    {
        var set = ValueSets.Named(name);
        var (code, rendered, errors) = ChartRenderer.Template(set);
        output.WriteLine(errors);
        Assert.NotEqual(0, code);
        Assert.Equal("", rendered.Trim());
        Assert.Contains(set.Fails!, errors, StringComparison.Ordinal);
    }

    [HelmTheory]
    [MemberData(nameof(MutationNames))]
    public void Checks_BrokenTemplateOrValue_Reported(string name)
    {
        var mutation = Mutations[name];
        using var scratch = new TempDirectory();
        var (chart, set) = mutation.Apply(scratch.Path);
        var (_, problems) = ChartRenderer.RenderAndCheck(set, chart);
        foreach (string problem in problems)
            output.WriteLine(problem);
        Assert.Contains(problems, p => p.Contains(mutation.Expected, StringComparison.Ordinal));
    }

    [HelmFact]
    public void HelmTemplate_EachTemplateSwitchFlippedAlone_ChangesOnlyItsTemplatesAndPassesChecks()
    {
        // Over the defaults, each switch flipped on its own adds or removes the objects of its templates and nothing
        // else, and what renders still passes every check; a new switch is rendered both ways here without a new set.
        var switches = TemplateSwitches.Find(ChartPaths.Templates);
        Assert.True(switches.Count >= 8, string.Join(", ", switches));
        var baseSet = ValueSets.Named("defaults");
        var defaults = baseSet.MergedValues(ChartPaths.Chart);
        var (baseObjects, baseProblems) = ChartRenderer.RenderAndCheck(baseSet);
        Assert.Empty(baseProblems);
        foreach (string path in switches.Values.Distinct())
        {
            var parts = path.Split('.');
            System.Text.Json.Nodes.JsonNode? current = defaults;
            foreach (string part in parts)
                current = current?[part];
            var flip = new System.Text.Json.Nodes.JsonObject { [parts[^1]] = !current!.GetValue<bool>() };
            foreach (string part in parts[..^1].Reverse())
                flip = new System.Text.Json.Nodes.JsonObject { [part] = flip };
            var set = baseSet with { Name = "defaults-flip-" + path, Values = YamlValues.Merge(baseSet.Values, flip) };
            var (objects, problems) = ChartRenderer.RenderAndCheck(set);
            Assert.True(problems.Count == 0, $"{path} flipped:\n" + string.Join('\n', problems));
            var changed = objects.Select(o => o.ToString()).ToHashSet();
            changed.SymmetricExceptWith(baseObjects.Select(o => o.ToString()));
            output.WriteLine($"{path}: {string.Join(", ", changed)}");
            Assert.NotEmpty(changed);
            Assert.All(changed, o => Assert.Equal(path, switches.GetValueOrDefault(o[(o.LastIndexOf('/') + 1)..^1])));
        }
    }

    [HelmFact]
    public void Checks_UnchangedCopyOfChart_NoProblems()
    {
        // The mutation tests' copy, without a mutation, is clean: what they report comes from the mutation alone.
        using var scratch = new TempDirectory();
        var (chart, set) = new ChartMutation("cpu-example", null, null, null, null, "").Apply(scratch.Path);
        var (objects, problems) = ChartRenderer.RenderAndCheck(set, chart);
        Assert.Equal(20, objects.Count);
        Assert.Empty(problems);
    }

    [HelmFact]
    public void HelmTemplate_CpuExample_InferencePodsGetEveryShardInOrdinalOrder()
    {
        var (objects, problems) = ChartRenderer.RenderAndCheck(ValueSets.Named("cpu-example"));
        Assert.Empty(problems);
        var config = objects.Single(o => o.Kind == "ConfigMap" && o.Name == "recs-hiertcn-inference").As<V1ConfigMap>();
        var shards = config.Data.Where(kv => kv.Key.StartsWith("StateStoreClient__Shards__", StringComparison.Ordinal))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"http://recs-hiertcn-state-{i}.recs-hiertcn-state.recs.svc.cluster.local:5080"), shards);
        Assert.Equal(4, objects.Single(o => o.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Replicas);
    }

    [HelmFact]
    public void HelmTemplate_CertificateCallers_GrantsTheirNamesAndMountsOnlyTheirAuthority()
    {
        var (objects, problems) = ChartRenderer.RenderAndCheck(ValueSets.Named("secure-certificate-callers"));
        Assert.Empty(problems);
        var data = objects.Single(o => o.Kind == "ConfigMap" && o.Name == "recs-hiertcn-inference").As<V1ConfigMap>().Data;
        Assert.Equal("/etc/hiertcn/client-ca/ca.crt", data["Tls__ClientCaFile"]);
        Assert.Equal(["feed-ranker", "feed-ranker.recs.svc.cluster.local"], Indexed(data, "Auth__ReadClients__"));
        Assert.Equal(["event-ingest"], Indexed(data, "Auth__WriteClients__"));
        Assert.Equal("true", data["Auth__Enabled"]);
        // No tokens Secret: no token files named, none mounted.
        Assert.DoesNotContain(data.Keys, k => k.EndsWith("TokensFile", StringComparison.Ordinal));
        var pod = objects.Single(o => o.Kind == "Deployment").As<V1Deployment>().Spec.Template.Spec;
        Assert.DoesNotContain(pod.Volumes, v => v.Name == "tokens");
        var authority = pod.Volumes.Single(v => v.Name == "client-ca").Secret;
        Assert.Equal("hiertcn-callers-ca", authority.SecretName);
        Assert.Equal(("callers-ca.pem", "ca.crt"), (authority.Items.Single().Key, authority.Items.Single().Path));
        Assert.Contains(pod.Containers.Single(c => c.Name == "inference").VolumeMounts, m => m.Name == "client-ca" && m.MountPath == "/etc/hiertcn/client-ca");

        static string[] Indexed(IDictionary<string, string> data, string prefix) =>
            [.. data.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value)];
    }

    [HelmFact]
    public void HelmTemplate_CpuExample_EachShardGetsTheShardCountAndItsPodName()
    {
        var (objects, problems) = ChartRenderer.RenderAndCheck(ValueSets.Named("cpu-example"));
        Assert.Empty(problems);
        var container = objects.Single(o => o.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Template.Spec.Containers.Single(c => c.Name == "state-store");
        var env = container.Env.ToDictionary(e => e.Name);
        Assert.Equal("4", env["StateStoreServer__ShardCount"].Value);
        // The pod name (recs-hiertcn-state-ORDINAL) gives the index: the server takes the ordinal at its end.
        Assert.Equal("metadata.name", env["StateStoreServer__PodName"].ValueFrom.FieldRef.FieldPath);
        Assert.False(env.ContainsKey("StateStoreServer__ShardIndex"));
        var options = new HierTcn.StateStore.Server.StateStoreServerOptions { ShardCount = 4, PodName = "recs-hiertcn-state-3" };
        Assert.Empty(options.Validate());
        Assert.Equal(3, options.EffectiveShardIndex);
    }

    [HelmFact]
    public void HelmTemplate_RecordFormat_ReachesTheShardsAndTheInferencePods()
    {
        foreach (var (set, format) in new[] { ("defaults", "2"), ("record-format-1", "1") })
        {
            var (objects, problems) = ChartRenderer.RenderAndCheck(ValueSets.Named(set));
            Assert.Empty(problems);
            var shard = objects.Single(o => o.Kind == "StatefulSet").As<V1StatefulSet>().Spec.Template.Spec.Containers.Single(c => c.Name == "state-store");
            Assert.Equal(format, shard.Env.Single(e => e.Name == "StateStore__WriteRecordFormat").Value);
            var config = objects.Single(o => o.Kind == "ConfigMap" && o.Name == "recs-hiertcn-inference").As<V1ConfigMap>().Data;
            Assert.Equal(format, config["StateStoreClient__WriteRecordFormat"]);
        }
        var (resp, respProblems) = ChartRenderer.RenderAndCheck(ValueSets.Named("redis-cluster"));
        Assert.Empty(respProblems);
        var respConfig = resp.Single(o => o.Kind == "ConfigMap" && o.Name == "recs-hiertcn-inference").As<V1ConfigMap>().Data;
        Assert.Equal("2", respConfig["StateStoreClient__Resp__WriteRecordFormat"]);
    }

    [HelmFact]
    public void HelmTemplate_CpuExample_PrometheusRuleGroupsAreTheOnesPromtoolChecks()
    {
        // MonitoringRulesTests runs promtool on the groups as RuleFiles renders them; helm renders the same groups.
        var (objects, problems) = ChartRenderer.RenderAndCheck(ValueSets.Named("cpu-example"));
        Assert.Empty(problems);
        var spec = objects.Single(o => o.Kind == "PrometheusRule").Json["spec"]!;
        var expected = YamlValues.Parse(RuleFiles.RenderTemplateGroups([("v1", 90), ("v2", 10)], "recs", ValueSet.Namespace), "RuleFiles");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(expected, spec), $"helm:\n{spec}\nRuleFiles:\n{expected}");
        Assert.Equal(2, spec["groups"]!.AsArray().Last()!["rules"]!.AsArray().Count);
    }

    [HelmFact]
    public void Helm_Version_IsThePinnedOneNamedInChartsReadme()
    {
        var (code, stdout, stderr) = Helm.Run("version", "--template", "{{.Version}}");
        Assert.True(code == 0, stderr);
        Assert.Equal(Helm.PinnedVersion, stdout.Trim());
        string readme = File.ReadAllText(Path.Combine(ChartPaths.ChartsDirectory, "README.md"));
        Assert.Contains($"helm {Helm.PinnedVersion}", readme, StringComparison.Ordinal);
    }
}
