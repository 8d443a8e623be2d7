using HierTcn.Charts.Tests.Support;
using k8s.Models;

namespace HierTcn.Charts.Tests;

/// <summary>The daily snapshot CronJob (<c>snapshotJob</c>, templates/snapshot-cronjob.yaml) as helm renders it: it
/// embeds the day's features with the served bundle into the directory the inference pods follow, writes the shared
/// claim in <c>volume</c> mode, and in <c>sync</c> mode fetches, builds, then uploads the snapshot before the pointer.
/// The generic checks (types, mounts, security, references) run on the same sets in ChartRenderTests.</summary>
public sealed class SnapshotJobTests
{
    private static (V1CronJob Job, V1ConfigMap Config) Render(string set)
    {
        var (objects, problems) = ChartRenderer.RenderAndCheck(ValueSets.Named(set));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        var job = objects.Single(o => o.Kind == "CronJob").As<V1CronJob>();
        var config = objects.Single(o => o.Kind == "ConfigMap" && o.Name.EndsWith("-inference", StringComparison.Ordinal)).As<V1ConfigMap>();
        return (job, config);
    }

    private static string Arg(V1Container c, string option) => c.Args[c.Args.IndexOf(option) + 1];

    [HelmFact]
    public void HelmTemplate_VolumeMode_BuildsFromServedBundleIntoPodsSnapshotDirectoryOnWritableClaim()
    {
        var (job, config) = Render("daily-snapshot-volume");
        Assert.Equal("30 2 * * *", job.Spec.Schedule);
        Assert.Equal("Forbid", job.Spec.ConcurrencyPolicy);
        var pod = job.Spec.JobTemplate.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        Assert.Null(pod.InitContainers);
        var build = Assert.Single(pod.Containers);
        Assert.Equal("ghcr.io/example/hiertcn-trainer:0.1.0", build.Image);
        Assert.Equal(["snapshot", "build"], build.Args.Take(2));
        Assert.Equal(config.Data["Recommender__BundlesDirectory"] + "/v1", Arg(build, "--bundle"));
        Assert.Equal(config.Data["Recommender__SnapshotsDirectory"], Arg(build, "--out"));
        Assert.Equal("/artifacts/features/items.csv.gz", Arg(build, "--features"));
        // No --version: the CLI names each run's snapshot by its UTC time, so a rerun never replaces a mapped file.
        Assert.DoesNotContain("--version", build.Args);
        var artifacts = pod.Volumes.Single(v => v.Name == "artifacts");
        Assert.Equal("hiertcn-artifacts", artifacts.PersistentVolumeClaim.ClaimName);
        Assert.NotEqual(true, artifacts.PersistentVolumeClaim.ReadOnlyProperty);
        var mount = build.VolumeMounts.Single(m => m.Name == "artifacts");
        Assert.Equal("/artifacts", mount.MountPath);
        Assert.Equal("prod", mount.SubPath);
        Assert.NotEqual(true, mount.ReadOnlyProperty);
    }

    [HelmFact]
    public void HelmTemplate_SyncMode_FetchesBuildsThenUploadsSnapshotBeforePointer()
    {
        var (job, config) = Render("daily-snapshot-sync");
        Assert.Equal("Europe/Berlin", job.Spec.TimeZone);
        var pod = job.Spec.JobTemplate.Spec.Template.Spec;
        Assert.Equal(["fetch", "build"], pod.InitContainers.Select(c => c.Name));
        var (fetch, build) = (pod.InitContainers[0], pod.InitContainers[1]);
        string fetchScript = fetch.Args.Single();
        Assert.Contains("rclone copy \"s3:recs-artifacts/hiertcn/bundles/v2\" \"/artifacts/bundles/v2\"", fetchScript);
        Assert.Contains("rclone copyto \"s3:recs-artifacts/hiertcn/features/today.parquet\" \"/artifacts/features/today.parquet\"", fetchScript);
        Assert.Equal(config.Data["Recommender__BundlesDirectory"] + "/v2", Arg(build, "--bundle"));
        Assert.Equal("/artifacts/features/today.parquet", Arg(build, "--features"));
        Assert.Equal(config.Data["Recommender__SnapshotsDirectory"], Arg(build, "--out"));
        var upload = Assert.Single(pod.Containers);
        Assert.Equal("upload", upload.Name);
        string script = upload.Args.Single();
        int snap = script.IndexOf("--include \"*.snap\" --immutable", StringComparison.Ordinal);
        int pointer = script.IndexOf("rclone copyto \"$snaps_src/CURRENT\" \"$snaps_dst/CURRENT\"", StringComparison.Ordinal);
        Assert.True(snap > 0 && pointer > snap, script);
        Assert.Contains("snaps_dst=\"s3:recs-artifacts/hiertcn/snapshots\"", script);
        Assert.All(new[] { fetch, upload }, c => Assert.Equal("hiertcn-rclone", Assert.Single(c.EnvFrom).SecretRef.Name));
        Assert.NotNull(pod.Volumes.Single(v => v.Name == "artifacts").EmptyDir);
    }
}
