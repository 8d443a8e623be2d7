using HierTcn.Inference.Execution.Internal;

namespace HierTcn.Inference.Tests;

/// <summary>The CUDA provider's settings are explicit and come from the options (the values ONNX Runtime receives; a
/// GPU machine checks that they take: StartupTests and bench/serving). Bad settings are refused by name.</summary>
public sealed class CudaSettingsTests
{
    [Fact]
    public void CudaSettings_FromOptions_DeviceArenaLimitGrowthSearchAndStream()
    {
        var settings = OrtGraph.CudaSettings(new RecommenderOptions { CudaDeviceId = 2, CudaMemoryLimitMegabytes = 512, CudnnConvAlgoSearch = "EXHAUSTIVE" });
        Assert.Equal(new Dictionary<string, string>
        {
            ["device_id"] = "2",
            ["gpu_mem_limit"] = "536870912",
            ["arena_extend_strategy"] = "kSameAsRequested",
            ["cudnn_conv_algo_search"] = "EXHAUSTIVE",
            ["do_copy_in_default_stream"] = "1",
        }, settings);
    }

    [Fact]
    public void CudaSettings_Defaults_TwoGiBArenaAndHeuristicSearch()
    {
        var settings = OrtGraph.CudaSettings(new RecommenderOptions());
        Assert.Equal("0", settings["device_id"]);
        Assert.Equal((2048L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), settings["gpu_mem_limit"]);
        Assert.Equal("HEURISTIC", settings["cudnn_conv_algo_search"]);
        Assert.Equal("session.disable_cpu_ep_fallback", OrtGraph.DisableCpuFallback);
    }

    [Theory]
    [InlineData(0, "HEURISTIC", "CudaMemoryLimitMegabytes is 0")]
    [InlineData(64, "heuristic", "CudnnConvAlgoSearch is \"heuristic\"")]
    [InlineData(64, "FAST", "one of HEURISTIC, EXHAUSTIVE, DEFAULT")]
    public void Validate_BadCudaSetting_NamesIt(int megabytes, string search, string expected)
    {
        var options = new RecommenderOptions
        {
            BundlesDirectory = "b",
            SnapshotsDirectory = "s",
            Models = [new ModelArmOptions { Version = "v1" }],
            CudaMemoryLimitMegabytes = megabytes,
            CudnnConvAlgoSearch = search,
        };
        Assert.Contains(options.Validate(), e => e.Contains(expected, StringComparison.Ordinal));
    }
}
