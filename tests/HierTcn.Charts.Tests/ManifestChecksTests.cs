using HierTcn.Charts.Tests.Support;
using k8s;
using k8s.Models;

namespace HierTcn.Charts.Tests;

/// <summary>The strict reader and the cross-object checks on small hand-written manifests, so that they are tested
/// where helm is missing too (ChartRenderTests runs them on the real chart).</summary>
public sealed class ManifestChecksTests
{
    // A minimal release that fits together: a client Deployment given the shard list, and a one-shard store.
    private const string Fleet = """
        ---
        # Source: t/client.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: client
        data:
          StateStoreClient__Shards__0: "http://store-0.store.ns.svc.cluster.local:5080"
        ---
        # Source: t/client.yaml
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: client
        spec:
          selector:
            matchLabels: {app: client}
          template:
            metadata:
              labels: {app: client}
            spec:
              securityContext: {runAsNonRoot: true, runAsUser: 1654}
              containers:
                - name: client
                  image: "client:1"
                  securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
                  envFrom:
                    - configMapRef: {name: client}
                  ports:
                    - {name: grpc, containerPort: 8080}
                  readinessProbe:
                    grpc: {port: 8080}
        ---
        # Source: t/store.yaml
        apiVersion: v1
        kind: Service
        metadata:
          name: store
          labels: {app: store}
        spec:
          clusterIP: None
          selector: {app: store}
          ports:
            - {name: grpc, port: 5080, targetPort: grpc}
        ---
        # Source: t/store.yaml
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: store
        spec:
          serviceName: store
          replicas: 1
          selector:
            matchLabels: {app: store}
          template:
            metadata:
              labels: {app: store}
            spec:
              securityContext: {runAsNonRoot: true}
              containers:
                - name: store
                  image: "store:1"
                  securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
                  env:
                    - {name: StateStoreServer__ShardCount, value: "1"}
                    - name: StateStoreServer__PodName
                      valueFrom: {fieldRef: {fieldPath: metadata.name}}
                  ports:
                    - {name: grpc, containerPort: 5080}
        """;

    private static IReadOnlyList<string> Problems(string manifests)
    {
        var (objects, problems) = ManifestReader.Read(manifests);
        var externals = ExternalObjects.None with { ServiceAccounts = new HashSet<string> { "default" } };
        return problems.Concat(ManifestChecks.Check(objects, "ns", externals)).ToList();
    }

    [Fact]
    public void Check_FleetThatFitsTogether_NoProblems()
    {
        var (objects, _) = ManifestReader.Read(Fleet);
        Assert.Equal(["ConfigMap/client", "Deployment/client", "Service/store", "StatefulSet/store"], objects.Select(o => o.Id));
        Assert.IsType<V1StatefulSet>(objects[3].Model);
        Assert.Empty(Problems(Fleet));
    }

    [Fact]
    public void Read_UnknownField_ReportedWithTemplateObjectAndType()
    {
        var problems = Problems(Fleet.Replace("serviceName: store", "serviceName: store\n  replica: 1", StringComparison.Ordinal));
        var problem = Assert.Single(problems, p => p.Contains("replica'", StringComparison.Ordinal));
        Assert.StartsWith("t/store.yaml: StatefulSet/store: does not parse as V1StatefulSet: The JSON property 'replica' could not be mapped", problem);
        Assert.Contains("V1StatefulSetSpec", problem);
    }

    [Fact]
    public void Read_WrongScalarTypes_Reported()
    {
        // An unquoted number where the API wants a string, and a quoted one where it wants an integer.
        var problems = Problems(Fleet.Replace("image: \"client:1\"", "image: 1", StringComparison.Ordinal)
            .Replace("containerPort: 5080", "containerPort: \"5080\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("t/client.yaml: Deployment/client: does not parse as V1Deployment: The JSON value could not be converted to System.String. Path: $.spec.template.spec.containers[0].image", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("could not be converted to System.Int32. Path: $.spec.template.spec.containers[0].ports[0].containerPort", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_UnservedApiVersion_Reported()
    {
        var problems = Problems(Fleet.Replace("apiVersion: apps/v1\nkind: StatefulSet", "apiVersion: apps/v1beta2\nkind: StatefulSet", StringComparison.Ordinal));
        Assert.Contains("t/store.yaml: StatefulSet/store: apiVersion 'apps/v1beta2' kind 'StatefulSet' is neither a Kubernetes API type nor a known custom resource", problems);
    }

    [Fact]
    public void KubernetesYaml_DefaultAndStrict_AcceptWhatReaderRefuses()
    {
        // Why the reader does not use KubernetesYaml: by default it loses a misspelt field silently.
        const string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n  restartPolicyy: Never\n";
        var loaded = KubernetesYaml.Deserialize<V1Pod>(pod);
        Assert.Null(loaded.Spec.RestartPolicy);
        // Its strict mode refuses the field, but still takes a quoted "8080" for an integer and 1 for a string,
        // which the API server refuses.
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.Deserialize<V1Pod>(pod, strict: true));
        const string typed = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: 1, ports: [{containerPort: \"8080\"}]}]\n";
        var strict = KubernetesYaml.Deserialize<V1Pod>(typed, strict: true);
        Assert.Equal(("1", 8080), (strict.Spec.Containers[0].Image, strict.Spec.Containers[0].Ports[0].ContainerPort));
        var problem = Assert.Single(ManifestReader.Read(typed).Problems);
        Assert.Contains("could not be converted to System.String. Path: $.spec.containers[0].image", problem);
        Assert.Contains(ManifestReader.Read(pod).Problems, p => p.Contains("'restartPolicyy' could not be mapped", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_ServiceSelectorMatchingNoPods_Reported()
    {
        var problems = Problems(Fleet.Replace("selector: {app: store}", "selector: {app: stor}", StringComparison.Ordinal));
        Assert.Contains("Service/store (t/store.yaml): selector {app=stor} selects no pods of any rendered workload", problems);
        Assert.Contains("StatefulSet/store (t/store.yaml): its governing Service store does not select its pods", problems);
    }

    [Fact]
    public void Check_ShardAddressesNotMatchingStatefulSet_Reported()
    {
        var problems = Problems(Fleet.Replace("replicas: 1", "replicas: 2", StringComparison.Ordinal)
            .Replace("store-0.store.ns.svc", "store-0.store.other.svc", StringComparison.Ordinal));
        Assert.Contains("Deployment/client (t/client.yaml): container client: 1 shard addresses for StatefulSet store of 2 replicas", problems);
        Assert.Contains(problems, p => p.EndsWith("shard 0 address 'http://store-0.store.other.svc.cluster.local:5080' is not on host store-0.store.ns.svc.cluster.local", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_ContainerThatMayRunAsRootWithWritableRoot_Reported()
    {
        var problems = Problems(Fleet.Replace("securityContext: {runAsNonRoot: true}", "securityContext: {}", StringComparison.Ordinal)
            .Replace("image: \"store:1\"\n          securityContext: {readOnlyRootFilesystem: true, ", "image: \"store:1\"\n          securityContext: {", StringComparison.Ordinal));
        Assert.Contains("StatefulSet/store (t/store.yaml): container store may run as root (runAsNonRoot is not true)", problems);
        Assert.Contains("StatefulSet/store (t/store.yaml): container store has a writable root filesystem (readOnlyRootFilesystem is not true)", problems);
        Assert.DoesNotContain(problems, p => p.StartsWith("Deployment/client", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_ProbeAndMountAndConfigMapThatDoNotExist_Reported()
    {
        var problems = Problems(Fleet.Replace("grpc: {port: 8080}", "grpc: {port: 8081}", StringComparison.Ordinal)
            .Replace("configMapRef: {name: client}", "configMapRef: {name: settings}\n          volumeMounts: [{name: data, mountPath: /data}]", StringComparison.Ordinal));
        Assert.Contains("Deployment/client (t/client.yaml): container client: readiness probe port 8081 is not one of the container's ports", problems);
        Assert.Contains("Deployment/client (t/client.yaml): container client mounts volume 'data', which the pod does not declare", problems);
        Assert.Contains("Deployment/client (t/client.yaml): container client envFrom uses ConfigMap 'settings', which is neither rendered nor named in the values", problems);
    }

    [Fact]
    public void Check_NamesSelectorsAndServiceTheApiServerWouldRefuse_Reported()
    {
        string longName = new('s', 53);
        var problems = Problems(Fleet.Replace("name: store\nspec:\n  serviceName: store", $"name: {longName}\nspec:\n  serviceName: store", StringComparison.Ordinal)
            .Replace("{name: grpc, containerPort: 8080}", "{name: grpc-api-for-clients, containerPort: 8080}", StringComparison.Ordinal)
            .Replace("matchLabels: {app: client}", "matchLabels: {app: clients}", StringComparison.Ordinal)
            .Replace("clusterIP: None\n  ", "", StringComparison.Ordinal)
            .Replace("\ndata:\n", $"\ndata:\n  bad key: x\n  big: {new string('x', 1024 * 1024)}\n", StringComparison.Ordinal));
        Assert.Contains($"StatefulSet/{longName} (t/store.yaml): name too long for its pods' hostnames and revision labels (at most 52 characters)", problems);
        Assert.Contains("Deployment/client (t/client.yaml): container client: port name 'grpc-api-for-clients' is not an IANA service name (at most 15 characters)", problems);
        Assert.Contains("Deployment/client (t/client.yaml): its selector does not match its own pod template's labels", problems);
        Assert.Contains($"StatefulSet/{longName} (t/store.yaml): its governing Service store is not headless (clusterIP: None), so the pods get no stable DNS names", problems);
        Assert.Contains("ConfigMap/client (t/client.yaml): data key 'bad key' is not a valid ConfigMap/Secret key", problems);
        Assert.Contains(problems, p => p.StartsWith("ConfigMap/client (t/client.yaml): holds 10486", StringComparison.Ordinal) && p.EndsWith("bytes of data; the API server stores at most 1 MiB", StringComparison.Ordinal));
        // The shard addresses name store-0, which is no longer a StatefulSet.
        Assert.Contains(problems, p => p.Contains("shard 0 address 'http://store-0.store.ns.svc.cluster.local:5080' is not <statefulset>-0", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WorkloadAndServiceWithoutSpec_ReportedNotThrown()
    {
        var problems = Problems(Fleet + "\n---\n# Source: t/x.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: bare}\n"
            + "---\n# Source: t/x.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: empty}\nspec: {selector: {matchLabels: {a: b}}}\n");
        Assert.Equal(["Service/bare (t/x.yaml): has no spec", "Deployment/empty (t/x.yaml): has no pod template with containers"], problems);
    }

    [Fact]
    public void CustomResourceSchema_UnknownFieldAndWrongType_Reported()
    {
        const string monitor = """
            # Source: t/sm.yaml
            apiVersion: monitoring.coreos.com/v1
            kind: ServiceMonitor
            metadata: {name: store, labels: {a: b}}
            spec:
              selector: {matchLabels: {app: store}}
              endpoints:
                - {port: grpc, interval: 30 seconds, honorLabels: "yes", scrape_timeout: 10s}
            """;
        var problems = Problems(Fleet + "\n---\n" + monitor);
        Assert.Contains(problems, p => p.StartsWith("t/sm.yaml: ServiceMonitor/store: /spec/endpoints/0/scrape_timeout: unknown field 'scrape_timeout'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("t/sm.yaml: ServiceMonitor/store: /spec/endpoints/0/interval: ", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("t/sm.yaml: ServiceMonitor/store: /spec/endpoints/0/honorLabels: ", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("selects no rendered Service", StringComparison.Ordinal) || p.Contains("endpoint port", StringComparison.Ordinal));
    }
}
