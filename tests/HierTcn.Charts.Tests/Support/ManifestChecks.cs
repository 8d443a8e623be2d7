using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;

namespace HierTcn.Charts.Tests.Support;

/// <summary>
/// Checks that the rendered objects fit together, as the cluster would need them to: names, ConfigMap keys and
/// sizes the API server accepts;
/// workloads whose selectors match their pods; Services, NetworkPolicies, ServiceMonitors, autoscalers and
/// disruption budgets that select or target something rendered, by ports that exist on the containers; probes on
/// container ports; every ConfigMap, Secret, claim and ServiceAccount a pod uses rendered or named in the values;
/// the state store addresses the inference pods get matching the StatefulSet's stable names, shard count and port,
/// each shard told its index and the shard count; or, with a RESP cluster, its endpoints matching every node's
/// stable name and RESP port;
/// every file and directory a server setting names inside a volume the container mounts, holding that file;
/// every container non-root with a read-only root filesystem. Each problem names the object and what is wrong.
/// </summary>
public static partial class ManifestChecks
{
    private sealed record Workload(RenderedObject Object, V1LabelSelector? Selector, V1PodTemplateSpec Template, IList<V1PersistentVolumeClaim> ClaimTemplates)
    {
        public IDictionary<string, string> PodLabels => Template.Metadata?.Labels ?? new Dictionary<string, string>();

        public IEnumerable<V1Container> AllContainers => (Template.Spec.InitContainers ?? []).Concat(Template.Spec.Containers ?? []);
    }

    public static IReadOnlyList<string> Check(IReadOnlyList<RenderedObject> objects, string releaseNamespace, ExternalObjects externals)
    {
        var problems = new List<string>();
        // Objects without the spec their kind needs are reported once and left out of the checks below.
        var typed = new List<RenderedObject>();
        foreach (var o in objects.Where(o => o.Model is not null))
        {
            if (o.Model!.GetType().GetProperty("Spec") is { } specProperty && specProperty.GetValue(o.Model) is null)
                problems.Add($"{o}: has no spec");
            else
                typed.Add(o);
        }
        var workloads = new List<Workload>();
        foreach (var o in typed)
        {
            if (ToWorkload(o) is not { } w)
                continue;
            if (w.Template?.Spec?.Containers is null)
                problems.Add($"{o}: has no pod template with containers");
            else
                workloads.Add(w);
        }

        CheckNames(objects, problems);
        foreach (var w in workloads)
        {
            CheckWorkload(w, problems);
            CheckReferences(w, typed, externals, problems);
            CheckSecurity(w, problems);
        }
        foreach (var o in typed)
        {
            switch (o.Model)
            {
                case V1Service service:
                    CheckService(o, service, workloads, problems);
                    break;
                case V1NetworkPolicy policy:
                    CheckNetworkPolicy(o, policy, workloads, problems);
                    break;
                case V2HorizontalPodAutoscaler hpa:
                    CheckAutoscaler(o, hpa, workloads, problems);
                    break;
                case V1PodDisruptionBudget pdb:
                    if (!workloads.Any(w => Selects(pdb.Spec.Selector, w.PodLabels)))
                        problems.Add($"{o}: selects no pods of any rendered workload");
                    break;
                case V1StatefulSet set:
                    CheckGoverningService(o, set, typed, workloads, problems);
                    break;
            }
        }
        foreach (var monitor in objects.Where(o => o.Kind == "ServiceMonitor"))
            CheckServiceMonitor(monitor, typed, problems);
        CheckShardAddresses(workloads, typed, releaseNamespace, problems);
        CheckRespEndpoints(workloads, typed, releaseNamespace, problems);
        CheckConfiguredPaths(workloads, typed, problems);
        return problems;
    }

    private static Workload? ToWorkload(RenderedObject o) => o.Model switch
    {
        V1Deployment d => new Workload(o, d.Spec.Selector, d.Spec.Template, []),
        V1StatefulSet s => new Workload(o, s.Spec.Selector, s.Spec.Template, s.Spec.VolumeClaimTemplates ?? []),
        V1DaemonSet d => new Workload(o, d.Spec.Selector, d.Spec.Template, []),
        V1Job j => new Workload(o, j.Spec.Selector, j.Spec.Template, []),
        V1CronJob c => new Workload(o, c.Spec.JobTemplate?.Spec?.Selector, c.Spec.JobTemplate?.Spec?.Template!, []),
        _ => null,
    };

    private static void CheckNames(IReadOnlyList<RenderedObject> objects, List<string> problems)
    {
        foreach (var o in objects)
        {
            if (!IsSubdomain(o.Name))
                problems.Add($"{o}: metadata.name '{o.Name}' is not a DNS-1123 subdomain");
            if (o.Kind == "Service" && !IsDns1035Label(o.Name))
                problems.Add($"{o}: a Service name must be a DNS-1035 label (at most 63 characters, starting with a letter)");
            foreach (var (key, value) in Labels(o.Json["metadata"]?["labels"]))
            {
                if (!LabelValue().IsMatch(value))
                    problems.Add($"{o}: label {key}: '{value}' is not a valid label value");
            }
        }
        foreach (var o in objects.Where(o => o.Model is V1ConfigMap or V1Secret))
        {
            var entries = new[] { "data", "binaryData", "stringData" }.Select(field => o.Json[field]).OfType<JsonObject>().SelectMany(m => m).ToList();
            foreach (var (key, _) in entries.Where(e => e.Key.Length > 253 || !DataKey().IsMatch(e.Key)))
                problems.Add($"{o}: data key '{key}' is not a valid ConfigMap/Secret key");
            long bytes = entries.Sum(e => (long)System.Text.Encoding.UTF8.GetByteCount(e.Key) + System.Text.Encoding.UTF8.GetByteCount(e.Value?.ToString() ?? ""));
            if (bytes > 1024 * 1024)
                problems.Add($"{o}: holds {bytes} bytes of data; the API server stores at most 1 MiB");
        }
        foreach (var group in objects.GroupBy(o => (o.ApiVersion, o.Kind, o.Name)).Where(g => g.Count() > 1))
            problems.Add($"{group.First().Id} is rendered {group.Count()} times ({string.Join(", ", group.Select(o => o.Source))})");
    }

    private static void CheckWorkload(Workload w, List<string> problems)
    {
        if (w.Selector is null && w.Object.Model is not (V1Job or V1CronJob))
            problems.Add($"{w.Object}: has no selector");
        else if (w.Selector is not null && !Selects(w.Selector, w.PodLabels))
            problems.Add($"{w.Object}: its selector does not match its own pod template's labels");
        if (w.Object.Model is V1StatefulSet set)
        {
            int last = (set.Spec.Ordinals?.Start ?? 0) + (set.Spec.Replicas ?? 1) - 1;
            // Pods are named <set>-<ordinal> and carry a controller-revision-hash label of <set>-<10 characters>.
            if ($"{w.Object.Name}-{last}".Length > 63 || w.Object.Name.Length > 52)
                problems.Add($"{w.Object}: name too long for its pods' hostnames and revision labels (at most 52 characters)");
        }
        var spec = w.Template.Spec;
        var volumes = (spec.Volumes ?? []).Select(v => v.Name).Concat(w.ClaimTemplates.Select(c => c.Metadata.Name)).ToList();
        foreach (var duplicate in volumes.GroupBy(v => v).Where(g => g.Count() > 1))
            problems.Add($"{w.Object}: volume '{duplicate.Key}' is declared twice");
        foreach (var duplicate in w.AllContainers.GroupBy(c => c.Name).Where(g => g.Count() > 1))
            problems.Add($"{w.Object}: container name '{duplicate.Key}' is used twice");
        foreach (var c in w.AllContainers)
        {
            if (!IsDns1123Label(c.Name))
                problems.Add($"{w.Object}: container name '{c.Name}' is not a DNS-1123 label");
            if (string.IsNullOrEmpty(c.Image))
                problems.Add($"{w.Object}: container {c.Name} has no image");
            foreach (var port in c.Ports ?? [])
            {
                if (port.ContainerPort is < 1 or > 65535)
                    problems.Add($"{w.Object}: container {c.Name}: containerPort {port.ContainerPort} is out of range");
                if (port.Name is not null && !IsPortName(port.Name))
                    problems.Add($"{w.Object}: container {c.Name}: port name '{port.Name}' is not an IANA service name (at most 15 characters)");
            }
            foreach (var duplicate in (c.Ports ?? []).Where(p => p.Name is not null).GroupBy(p => p.Name).Where(g => g.Count() > 1))
                problems.Add($"{w.Object}: container {c.Name}: port name '{duplicate.Key}' is used twice");
            foreach (var mount in c.VolumeMounts ?? [])
            {
                if (!volumes.Contains(mount.Name))
                    problems.Add($"{w.Object}: container {c.Name} mounts volume '{mount.Name}', which the pod does not declare");
            }
            foreach (var (kind, probe) in new[] { ("startup", c.StartupProbe), ("liveness", c.LivenessProbe), ("readiness", c.ReadinessProbe) })
            {
                if (probe is null)
                    continue;
                IntOrString? port = probe.Grpc is { } grpc ? (IntOrString)grpc.Port
                    : probe.HttpGet?.Port ?? probe.TcpSocket?.Port;
                if (port is null)
                    continue;
                if (!HasPort(c, port))
                    problems.Add($"{w.Object}: container {c.Name}: {kind} probe port {port.Value} is not one of the container's ports");
            }
        }
    }

    private static void CheckReferences(Workload w, List<RenderedObject> typed, ExternalObjects externals, List<string> problems)
    {
        var spec = w.Template.Spec;
        var configMaps = typed.Where(o => o.Model is V1ConfigMap).DistinctBy(o => o.Name).ToDictionary(o => o.Name, o => o.As<V1ConfigMap>());
        var ownershipChecked = new HashSet<string>(StringComparer.Ordinal);
        var secrets = typed.Where(o => o.Model is V1Secret).Select(o => o.Name).ToHashSet();
        var claims = typed.Where(o => o.Model is V1PersistentVolumeClaim).Select(o => o.Name).ToHashSet();
        var accounts = typed.Where(o => o.Model is V1ServiceAccount).Select(o => o.Name).ToHashSet();

        void ConfigMap(string? name, string? key, string what)
        {
            if (name is null)
                problems.Add($"{w.Object}: {what} names no ConfigMap");
            else if (configMaps.TryGetValue(name, out var map))
            {
                if (key is not null && map.Data?.ContainsKey(key) != true)
                    problems.Add($"{w.Object}: {what} reads key '{key}', which ConfigMap {name} does not have");
            }
            else if (!externals.ConfigMaps.Contains(name))
                problems.Add($"{w.Object}: {what} uses ConfigMap '{name}', which is neither rendered nor named in the values");
        }

        void Secret(string? name, string what)
        {
            if (name is null || (!secrets.Contains(name) && !externals.Secrets.Contains(name)))
                problems.Add($"{w.Object}: {what} uses Secret '{name}', which is neither rendered nor named in the values");
        }

        foreach (var v in spec.Volumes ?? [])
        {
            if (v.ConfigMap is { } cm)
                ConfigMap(cm.Name, null, $"volume {v.Name}");
            if (v.Secret is { } s)
                Secret(s.SecretName, $"volume {v.Name}");
            if (v.PersistentVolumeClaim is { } pvc && !claims.Contains(pvc.ClaimName) && !externals.PersistentVolumeClaims.Contains(pvc.ClaimName))
                problems.Add($"{w.Object}: volume {v.Name} uses PersistentVolumeClaim '{pvc.ClaimName}', which is neither rendered nor named in the values");
            foreach (var source in v.Projected?.Sources ?? [])
            {
                if (source.ConfigMap is { } pcm)
                    ConfigMap(pcm.Name, null, $"volume {v.Name}");
                if (source.Secret is { } ps)
                    Secret(ps.Name, $"volume {v.Name}");
            }
        }
        foreach (var c in w.AllContainers)
        {
            foreach (var from in c.EnvFrom ?? [])
            {
                if (from.ConfigMapRef is { } cm && cm.Optional != true)
                    ConfigMap(cm.Name, null, $"container {c.Name} envFrom");
                if (from.SecretRef is { } s && s.Optional != true)
                    Secret(s.Name, $"container {c.Name} envFrom");
            }
            foreach (var env in c.Env ?? [])
            {
                if (env.ValueFrom?.ConfigMapKeyRef is { } cm && cm.Optional != true)
                    ConfigMap(cm.Name, cm.Key, $"container {c.Name} env {env.Name}");
                if (env.ValueFrom?.SecretKeyRef is { } s && s.Optional != true)
                    Secret(s.Name, $"container {c.Name} env {env.Name}");
            }
        }
        foreach (var pull in spec.ImagePullSecrets ?? [])
            Secret(pull.Name, "imagePullSecrets");
        string account = string.IsNullOrEmpty(spec.ServiceAccountName) ? "default" : spec.ServiceAccountName;
        if (!accounts.Contains(account) && !externals.ServiceAccounts.Contains(account))
            problems.Add($"{w.Object}: runs as ServiceAccount '{account}', which is neither rendered nor named in the values");
    }

    private static void CheckSecurity(Workload w, List<string> problems)
    {
        var pod = w.Template.Spec.SecurityContext;
        foreach (var c in w.AllContainers)
        {
            var sc = c.SecurityContext;
            bool nonRoot = sc?.RunAsNonRoot ?? pod?.RunAsNonRoot ?? false;
            long? user = sc?.RunAsUser ?? pod?.RunAsUser;
            if (!nonRoot)
                problems.Add($"{w.Object}: container {c.Name} may run as root (runAsNonRoot is not true)");
            if (user == 0)
                problems.Add($"{w.Object}: container {c.Name} runs as uid 0");
            if (sc?.ReadOnlyRootFilesystem != true)
                problems.Add($"{w.Object}: container {c.Name} has a writable root filesystem (readOnlyRootFilesystem is not true)");
            if (sc?.AllowPrivilegeEscalation != false)
                problems.Add($"{w.Object}: container {c.Name} allows privilege escalation (allowPrivilegeEscalation is not false)");
        }
    }

    private static void CheckService(RenderedObject o, V1Service service, List<Workload> workloads, List<string> problems)
    {
        var selector = service.Spec.Selector;
        if (selector is null || selector.Count == 0)
        {
            problems.Add($"{o}: has no selector");
            return;
        }
        var selected = workloads.Where(w => selector.All(kv => w.PodLabels.TryGetValue(kv.Key, out var v) && v == kv.Value)).ToList();
        if (selected.Count == 0)
        {
            problems.Add($"{o}: selector {Format(selector)} selects no pods of any rendered workload");
            return;
        }
        foreach (var port in service.Spec.Ports ?? [])
        {
            if (port.Port is < 1 or > 65535)
                problems.Add($"{o}: port {port.Name} number {port.Port} is out of range");
            var target = port.TargetPort ?? (IntOrString)port.Port;
            foreach (var w in selected.Where(w => !w.Template.Spec.Containers.Any(c => HasPort(c, target))))
                problems.Add($"{o}: port {port.Name} targets {target.Value}, which no container of {w.Object.Id} declares");
        }
    }

    private static void CheckGoverningService(RenderedObject o, V1StatefulSet set, List<RenderedObject> typed, List<Workload> workloads, List<string> problems)
    {
        var service = typed.FirstOrDefault(s => s.Model is V1Service && s.Name == set.Spec.ServiceName);
        if (service is null)
        {
            problems.Add($"{o}: serviceName '{set.Spec.ServiceName}' is not a rendered Service");
            return;
        }
        var spec = service.As<V1Service>().Spec;
        if (spec.ClusterIP != "None")
            problems.Add($"{o}: its governing Service {service.Name} is not headless (clusterIP: None), so the pods get no stable DNS names");
        var own = workloads.Single(w => w.Object == o);
        if (spec.Selector is null || !spec.Selector.All(kv => own.PodLabels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            problems.Add($"{o}: its governing Service {service.Name} does not select its pods");
    }

    private static void CheckNetworkPolicy(RenderedObject o, V1NetworkPolicy policy, List<Workload> workloads, List<string> problems)
    {
        var selected = workloads.Where(w => Selects(policy.Spec.PodSelector, w.PodLabels)).ToList();
        if (selected.Count == 0)
        {
            problems.Add($"{o}: podSelector selects no pods of any rendered workload");
            return;
        }
        // Ingress ports are the selected pods' own; egress ports are the destination's, checked only where the peers
        // are this release's pods (DNS, the artifact store and other outside peers have no rendered containers).
        var rules = (policy.Spec.Ingress ?? []).Select(r => (r.Ports, Peers: r.FromProperty, Targets: selected))
            .Concat((policy.Spec.Egress ?? []).Select(r => (r.Ports, Peers: r.To, Targets: workloads
                .Where(w => (r.To ?? []).Any(p => p.PodSelector is not null && p.NamespaceSelector is null && Selects(p.PodSelector, w.PodLabels)))
                .ToList())));
        foreach (var (ports, peers, targets) in rules)
        {
            foreach (var port in ports ?? [])
            {
                if (port.Port is null)
                    continue;
                foreach (var w in targets.Where(w => !w.Template.Spec.Containers.Any(c => HasPort(c, port.Port))))
                    problems.Add($"{o}: port {port.Port.Value} is not a port of any container of {w.Object.Id}, which it selects");
            }
            // A peer in the release's own namespace that names this release's pods must match some of them.
            foreach (var peer in peers ?? [])
            {
                if (peer.NamespaceSelector is null && peer.PodSelector?.MatchLabels?.ContainsKey("app.kubernetes.io/instance") == true
                    && !workloads.Any(w => Selects(peer.PodSelector, w.PodLabels)))
                {
                    problems.Add($"{o}: peer podSelector {Format(peer.PodSelector.MatchLabels)} selects no pods of any rendered workload");
                }
            }
        }
    }

    private static void CheckAutoscaler(RenderedObject o, V2HorizontalPodAutoscaler hpa, List<Workload> workloads, List<string> problems)
    {
        var target = hpa.Spec.ScaleTargetRef;
        var w = workloads.FirstOrDefault(w => w.Object.Kind == target.Kind && w.Object.Name == target.Name && w.Object.ApiVersion == target.ApiVersion);
        if (w is null)
        {
            problems.Add($"{o}: scaleTargetRef {target.ApiVersion} {target.Kind}/{target.Name} is not a rendered workload");
            return;
        }
        if (hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas)
            problems.Add($"{o}: minReplicas {hpa.Spec.MinReplicas} is above maxReplicas {hpa.Spec.MaxReplicas}");
        // A replica count in the template would reset the autoscaler's choice on every upgrade.
        if (w.Object.Json["spec"]?["replicas"] is not null)
            problems.Add($"{o}: its target {w.Object.Id} sets spec.replicas, which every helm upgrade would reset");
        // Utilization targets are relative to requests: a container without a request leaves the metric undefined.
        foreach (var metric in hpa.Spec.Metrics ?? [])
        {
            if (metric.Resource is { Target.Type: "Utilization" } resource)
            {
                foreach (var c in w.Template.Spec.Containers.Where(c => c.Resources?.Requests?.ContainsKey(resource.Name) != true))
                    problems.Add($"{o}: scales on {resource.Name} utilisation, but container {c.Name} of {w.Object.Id} requests no {resource.Name}");
            }
        }
    }

    private static void CheckServiceMonitor(RenderedObject monitor, List<RenderedObject> typed, List<string> problems)
    {
        var matchLabels = Labels(monitor.Json["spec"]?["selector"]?["matchLabels"]);
        var services = typed.Where(o => o.Model is V1Service)
            .Where(o => matchLabels.All(kv => o.As<V1Service>().Metadata.Labels?.TryGetValue(kv.Key, out var v) == true && v == kv.Value))
            .ToList();
        if (matchLabels.Count == 0 || services.Count == 0)
        {
            problems.Add($"{monitor}: selector selects no rendered Service");
            return;
        }
        foreach (var endpoint in monitor.Json["spec"]?["endpoints"]?.AsArray() ?? [])
        {
            string? port = endpoint?["port"]?.ToString();
            if (port is not null && !services.Any(s => s.As<V1Service>().Spec.Ports?.Any(p => p.Name == port) == true))
                problems.Add($"{monitor}: endpoint port '{port}' is not a port of any Service it selects ({string.Join(", ", services.Select(s => s.Name))})");
        }
    }

    /// <summary>
    /// The inference pods find shard i at StateStoreClient:Shards:i. Each address must be the stable DNS name of
    /// ordinal i of a rendered StatefulSet behind its headless Service, in the release namespace, on its
    /// container's port named grpc (a headless name resolves to the pod itself, so the Service's port mapping does not apply),
    /// and there must be exactly one address per replica, in ordinal order.
    /// </summary>
    private static void CheckShardAddresses(List<Workload> workloads, List<RenderedObject> typed, string ns, List<string> problems)
    {
        var configMaps = typed.Where(o => o.Model is V1ConfigMap).DistinctBy(o => o.Name).ToDictionary(o => o.Name, o => o.As<V1ConfigMap>());
        var ownershipChecked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in workloads)
        {
            foreach (var c in w.Template.Spec.Containers)
            {
                var settings = Settings(c, configMaps);
                var shards = settings.Where(kv => ShardKey().IsMatch(kv.Key))
                    .Select(kv => (Index: int.Parse(ShardKey().Match(kv.Key).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Address: kv.Value))
                    .OrderBy(s => s.Index).ToList();
                if (shards.Count == 0)
                    continue;
                string where = $"{w.Object}: container {c.Name}";
                if (!shards.Select(s => s.Index).SequenceEqual(Enumerable.Range(0, shards.Count)))
                    problems.Add($"{where}: shard indexes {string.Join(",", shards.Select(s => s.Index))} are not 0..{shards.Count - 1}");
                var first = ShardAddress().Match(shards[0].Address);
                string setName = first.Success ? first.Groups["set"].Value : "";
                var set = workloads.FirstOrDefault(x => x.Object.Model is V1StatefulSet && x.Object.Name == setName);
                if (set is null)
                {
                    problems.Add($"{where}: shard 0 address '{shards[0].Address}' is not <statefulset>-0.<service>.{ns}.svc.cluster.local:<port> of a rendered StatefulSet");
                    continue;
                }
                var spec = set.Object.As<V1StatefulSet>().Spec;
                int replicas = spec.Replicas ?? 1;
                int start = spec.Ordinals?.Start ?? 0;
                if (shards.Count != replicas)
                    problems.Add($"{where}: {shards.Count} shard addresses for StatefulSet {setName} of {replicas} replicas");
                if (ownershipChecked.Add(setName))
                    CheckShardOwnership(set, replicas, start, problems);
                // The shard API is gRPC: the container port named grpc.
                var ports = set.Template.Spec.Containers.SelectMany(x => x.Ports ?? []).Where(p => p.Name == "grpc").Select(p => p.ContainerPort).ToHashSet();
                foreach (var (index, address) in shards)
                {
                    var m = ShardAddress().Match(address);
                    string expected = $"{setName}-{start + index}.{spec.ServiceName}.{ns}.svc.cluster.local";
                    if (!m.Success || m.Groups["host"].Value != expected)
                        problems.Add($"{where}: shard {index} address '{address}' is not on host {expected}");
                    else if (!ports.Contains(int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture)))
                        problems.Add($"{where}: shard {index} address '{address}' is not on the grpc container port of {setName} ({string.Join(", ", ports)})");
                }
            }
        }
    }

    /// <summary>
    /// With a RESP cluster as the state tier, the inference pods start from StateStoreClient:Resp:Endpoints:i. They
    /// must select that mode, and list every node of one rendered StatefulSet, node i at index i, each as
    /// <c>&lt;statefulset&gt;-&lt;i&gt;.&lt;service&gt;.&lt;ns&gt;.svc.cluster.local:&lt;port&gt;</c> on the container port named
    /// resp (the stable name the node announces).
    /// </summary>
    private static void CheckRespEndpoints(List<Workload> workloads, List<RenderedObject> typed, string ns, List<string> problems)
    {
        var configMaps = typed.Where(o => o.Model is V1ConfigMap).DistinctBy(o => o.Name).ToDictionary(o => o.Name, o => o.As<V1ConfigMap>());
        foreach (var w in workloads)
        {
            foreach (var c in w.Template.Spec.Containers)
            {
                var settings = Settings(c, configMaps);
                var endpoints = settings.Where(kv => RespEndpointKey().IsMatch(kv.Key))
                    .Select(kv => (Index: int.Parse(RespEndpointKey().Match(kv.Key).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Address: kv.Value))
                    .OrderBy(e => e.Index).ToList();
                if (endpoints.Count == 0)
                    continue;
                string where = $"{w.Object}: container {c.Name}";
                if (settings.GetValueOrDefault("RecommenderServer__StateStoreMode") != "Resp")
                    problems.Add($"{where}: lists RESP endpoints but RecommenderServer__StateStoreMode is '{settings.GetValueOrDefault("RecommenderServer__StateStoreMode")}', not Resp");
                if (settings.Keys.Any(k => ShardKey().IsMatch(k)))
                    problems.Add($"{where}: lists both RESP endpoints and FASTER shards");
                if (!endpoints.Select(e => e.Index).SequenceEqual(Enumerable.Range(0, endpoints.Count)))
                    problems.Add($"{where}: RESP endpoint indexes {string.Join(",", endpoints.Select(e => e.Index))} are not 0..{endpoints.Count - 1}");
                var first = RespEndpoint().Match(endpoints[0].Address);
                string setName = first.Success ? first.Groups["set"].Value : "";
                var set = workloads.FirstOrDefault(x => x.Object.Model is V1StatefulSet && x.Object.Name == setName);
                if (set is null)
                {
                    problems.Add($"{where}: RESP endpoint 0 '{endpoints[0].Address}' is not <statefulset>-0.<service>.{ns}.svc.cluster.local:<port> of a rendered StatefulSet");
                    continue;
                }
                var spec = set.Object.As<V1StatefulSet>().Spec;
                int replicas = spec.Replicas ?? 1;
                int start = spec.Ordinals?.Start ?? 0;
                if (endpoints.Count != replicas)
                    problems.Add($"{where}: {endpoints.Count} RESP endpoints for StatefulSet {setName} of {replicas} nodes");
                var ports = set.Template.Spec.Containers.SelectMany(x => x.Ports ?? []).Where(p => p.Name == "resp").Select(p => p.ContainerPort).ToHashSet();
                foreach (var (index, address) in endpoints)
                {
                    var m = RespEndpoint().Match(address);
                    string expected = $"{setName}-{start + index}.{spec.ServiceName}.{ns}.svc.cluster.local";
                    if (!m.Success || m.Groups["host"].Value != expected)
                        problems.Add($"{where}: RESP endpoint {index} '{address}' is not on host {expected}");
                    else if (!ports.Contains(int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture)))
                        problems.Add($"{where}: RESP endpoint {index} '{address}' is not on the resp container port of {setName} ({string.Join(", ", ports)})");
                }
            }
        }
    }

    /// <summary>
    /// Every file or directory a server setting names (a key ending in File or Directory whose value is an absolute
    /// path) must be inside one of the container's volume mounts; a file inside a Secret or ConfigMap volume that
    /// lists `items` must be one of their paths, and one inside a rendered ConfigMap volume without items must be one
    /// of its keys. Otherwise the server would not find the certificate, token list or experiment file it is told of.
    /// </summary>
    private static void CheckConfiguredPaths(List<Workload> workloads, List<RenderedObject> typed, List<string> problems)
    {
        var configMaps = typed.Where(o => o.Model is V1ConfigMap).DistinctBy(o => o.Name).ToDictionary(o => o.Name, o => o.As<V1ConfigMap>());
        foreach (var w in workloads)
        {
            var volumes = (w.Template.Spec.Volumes ?? []).ToDictionary(v => v.Name);
            foreach (var c in w.Template.Spec.Containers)
            {
                foreach (var (key, path) in Settings(c, configMaps))
                {
                    bool isFile = key.EndsWith("File", StringComparison.Ordinal);
                    if (!(isFile || key.EndsWith("Directory", StringComparison.Ordinal)) || !path.StartsWith('/'))
                        continue;
                    var mount = (c.VolumeMounts ?? [])
                        .Where(m => path == m.MountPath || path.StartsWith(m.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal))
                        .MaxBy(m => m.MountPath.Length);
                    string where = $"{w.Object}: container {c.Name}: {key} names '{path}'";
                    if (mount is null)
                    {
                        problems.Add($"{where}, which is in none of the container's volume mounts");
                        continue;
                    }
                    if (!isFile || !string.IsNullOrEmpty(mount.SubPath) || !volumes.TryGetValue(mount.Name, out var volume))
                        continue;
                    string inside = path[(mount.MountPath.TrimEnd('/').Length + 1)..];
                    var items = volume.Secret?.Items ?? volume.ConfigMap?.Items;
                    if (items is { Count: > 0 })
                    {
                        if (!items.Any(i => i.Path == inside))
                            problems.Add($"{where}, but volume {volume.Name} holds only {string.Join(", ", items.Select(i => i.Path))}");
                    }
                    else if (volume.ConfigMap?.Name is { } mapName && configMaps.TryGetValue(mapName, out var map) && map.Data?.ContainsKey(inside) != true)
                    {
                        problems.Add($"{where}, but ConfigMap {mapName} (volume {volume.Name}) has no key '{inside}'");
                    }
                }
            }
        }
    }

    /// <summary>A container's environment as the process sees it: its ConfigMaps' entries (with their prefix), then
    /// its literal env values.</summary>
    private static Dictionary<string, string> Settings(V1Container c, Dictionary<string, V1ConfigMap> configMaps)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var from in c.EnvFrom ?? [])
        {
            if (from.ConfigMapRef?.Name is { } name && configMaps.TryGetValue(name, out var map))
            {
                foreach (var (key, value) in map.Data ?? new Dictionary<string, string>())
                    settings[(from.Prefix ?? "") + key] = value;
            }
        }
        foreach (var env in c.Env ?? [])
        {
            if (env.Value is not null)
                settings[env.Name] = env.Value;
        }
        return settings;
    }

    /// <summary>
    /// Each shard refuses the keys of other shards when it knows its place: the container serving gRPC gets
    /// StateStoreServer:ShardCount equal to the replicas the clients address, and its index as the ordinal of its
    /// pod's name (StateStoreServer:PodName from the downward API's metadata.name), so ordinals must start at 0.
    /// </summary>
    private static void CheckShardOwnership(Workload set, int replicas, int start, List<string> problems)
    {
        foreach (var c in set.Template.Spec.Containers.Where(x => x.Ports?.Any(p => p.Name == "grpc") == true))
        {
            string where = $"{set.Object}: container {c.Name}";
            var env = (c.Env ?? []).GroupBy(e => e.Name).ToDictionary(g => g.Key, g => g.Last());
            string? count = env.GetValueOrDefault("StateStoreServer__ShardCount")?.Value;
            if (count != replicas.ToString(System.Globalization.CultureInfo.InvariantCulture))
                problems.Add($"{where}: StateStoreServer__ShardCount is '{count}', not the {replicas} replicas the clients address");
            var pod = env.GetValueOrDefault("StateStoreServer__PodName");
            if (pod?.ValueFrom?.FieldRef?.FieldPath != "metadata.name")
                problems.Add($"{where}: StateStoreServer__PodName does not come from the pod's metadata.name, so the shard does not know its index");
            if (start != 0)
                problems.Add($"{where}: ordinals start at {start}, but a shard's index is its pod's ordinal");
        }
    }

    private static bool HasPort(V1Container container, IntOrString port) =>
        int.TryParse(port.Value, out int number)
            ? container.Ports?.Any(p => p.ContainerPort == number) == true
            : container.Ports?.Any(p => p.Name == port.Value) == true;

    /// <summary>Label selector semantics: every matchLabels pair and every expression holds; an empty selector
    /// selects everything.</summary>
    public static bool Selects(V1LabelSelector? selector, IDictionary<string, string> labels)
    {
        if (selector is null)
            return false;
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
                return false;
        }
        foreach (var e in selector.MatchExpressions ?? [])
        {
            bool has = labels.TryGetValue(e.Key, out var actual);
            bool holds = e.OperatorProperty switch
            {
                "In" => has && (e.Values ?? []).Contains(actual!),
                "NotIn" => !has || !(e.Values ?? []).Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!holds)
                return false;
        }
        return true;
    }

    private static Dictionary<string, string> Labels(JsonNode? node) =>
        node is JsonObject map ? map.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "") : [];

    private static string Format(IDictionary<string, string> labels) => "{" + string.Join(", ", labels.Select(kv => $"{kv.Key}={kv.Value}")) + "}";

    private static bool IsSubdomain(string name) => name.Length is > 0 and <= 253 && Subdomain().IsMatch(name);

    private static bool IsDns1123Label(string name) => name.Length is > 0 and <= 63 && Dns1123Label().IsMatch(name);

    private static bool IsDns1035Label(string name) => name.Length is > 0 and <= 63 && Dns1035Label().IsMatch(name);

    private static bool IsPortName(string name) => name.Length is > 0 and <= 15 && PortName().IsMatch(name) && name.Any(char.IsAsciiLetter) && !name.Contains("--", StringComparison.Ordinal);

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex PortName();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex(@"^[-._a-zA-Z0-9]+$")]
    private static partial Regex DataKey();

    [GeneratedRegex(@"^StateStoreClient__Shards__([0-9]+)$")]
    private static partial Regex ShardKey();

    [GeneratedRegex(@"^https?://(?<host>(?<set>[a-z0-9-]+)-[0-9]+\.[^:/]+):(?<port>[0-9]+)/?$")]
    private static partial Regex ShardAddress();

    [GeneratedRegex(@"^StateStoreClient__Resp__Endpoints__([0-9]+)$")]
    private static partial Regex RespEndpointKey();

    [GeneratedRegex(@"^(?<host>(?<set>[a-z0-9-]+)-[0-9]+\.[^:/]+):(?<port>[0-9]+)$")]
    private static partial Regex RespEndpoint();
}
