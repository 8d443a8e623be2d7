using System.Diagnostics;
using System.Reflection;
using HierTcn.Exporter;
using HierTcn.Formats.Bundles;
using HierTcn.Trainer;
using HierTcn.Trainer.Models;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;
using Tensors = HierTcn.Formats.Bundles.BundleSignatures.Tensors;

// Usage: dotnet run -c Release --project bench/HierTcn.Exporter.Bench [-- THREADS [SECONDS_PER_CASE]]
// HierTCN at the paper's sizes (d 128, high GRU 4 x 128, TCN 4 blocks x 128, kernel 5) with random weights. For each
// batch size: tcn_step on T rows (start token + T-1 items) and gru_step, on ONNX Runtime's CPU provider and on the
// trainer's own TorchSharp modules in eval mode (no_grad) fed the same tensors; median latency per call.
int threads = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1;
double seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1.0;
TorchRuntime.SetThreads(threads);
TorchRuntime.Seed(1);
using var model = new HierTcnModel(ModelOptions.ForKind(ModelKind.HierTcn), ItemSource.Ids(1000));
model.eval();
var weights = TorchWeights.From(model);
var graphs = StepGraphs.Build(ModelTypes.HierTcn, weights);
using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
using var tcnSession = new InferenceSession(graphs[GraphRoles.Embed], options);
using var gruSession = new InferenceSession(graphs[GraphRoles.Update], options);
var modules = model.named_children().ToDictionary(c => c.name, c => c.module);
var tcn = modules["tcn"];
var highGru = modules["high_gru"];
var output = (TorchSharp.Modules.Linear)modules["output"];
MethodInfo tcnForward = tcn.GetType().GetMethod("Forward")!;
MethodInfo gruStep = highGru.GetType().GetMethod("Step")!;
const int D = 128, L = 4, H = 128;

Console.WriteLine($"threads {threads}; {Environment.ProcessorCount} logical CPUs; {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine("| step | B | T | ONNX Runtime median ms | TorchSharp median ms | ORT rows/s | TorchSharp rows/s | TorchSharp / ORT time |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (int t in new[] { 16, 121 })
{
    foreach (int b in new[] { 1, 8, 32, 128 })
    {
        var random = new Random(b * 7 + t);
        float[] items = Fill(random, b * t * D);
        float[] state = Fill(random, b * L * H);
        long[] lengths = [.. Enumerable.Range(0, b).Select(i => i == 0 ? t : (long)random.Next(1, t + 1))];
        using var itemsValue = OrtValue.CreateTensorValueFromMemory(items, [b, t, D]);
        using var lengthsValue = OrtValue.CreateTensorValueFromMemory(lengths, [b]);
        using var stateValue = OrtValue.CreateTensorValueFromMemory(state, [b, L, H]);
        using var runOptions = new RunOptions();
        double ort = Measure(() =>
        {
            using var r = tcnSession.Run(runOptions, [Tensors.Items, Tensors.Lengths, Tensors.State], [itemsValue, lengthsValue, stateValue],
                [Tensors.UserEmbedding]);
        });
        var itemsT = tensor(items, [b, t, D]);
        var stateT = tensor(state, [b, L, H]).permute(1, 0, 2).contiguous();
        var lengthsT = tensor(lengths);
        double torchMs = Measure(() =>
        {
            using var scope = NewDisposeScope();
            using var grad = no_grad();
            var top = stateT[L - 1].unsqueeze(1).expand(-1, t, -1);
            var x = cat([itemsT, top], -1);
            var mask = arange(t).unsqueeze(0) < lengthsT.unsqueeze(1);
            var seq = (Tensor)tcnForward.Invoke(tcn, [x, mask])!;
            var last = seq.gather(1, (lengthsT - 1).view(-1, 1, 1).expand(-1, 1, seq.shape[2])).squeeze(1);
            _ = output.forward(last).data<float>()[0];
        });
        Row("tcn_step", b, t, ort, torchMs);
        if (t != 16)
        {
            continue;
        }
        float[] mean = Fill(random, b * D);
        using var meanValue = OrtValue.CreateTensorValueFromMemory(mean, [b, D]);
        double ortGru = Measure(() =>
        {
            using var r = gruSession.Run(runOptions, [Tensors.State, Tensors.SessionMean], [stateValue, meanValue], [Tensors.NextState]);
        });
        var meanT = tensor(mean, [b, D]);
        double torchGru = Measure(() =>
        {
            using var scope = NewDisposeScope();
            using var grad = no_grad();
            _ = ((Tensor)gruStep.Invoke(highGru, [meanT, stateT])!).data<float>()[0];
        });
        Row("gru_step", b, 1, ortGru, torchGru);
    }
}

double Measure(Action run)
{
    for (int i = 0; i < 3; i++)
    {
        run();
    }
    var times = new List<double>();
    var total = Stopwatch.StartNew();
    while (total.Elapsed.TotalSeconds < seconds || times.Count < 5)
    {
        long start = Stopwatch.GetTimestamp();
        run();
        times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    times.Sort();
    return times[times.Count / 2];
}

static void Row(string step, int b, int t, double ort, double torchMs) =>
    Console.WriteLine($"| {step} | {b} | {t} | {ort:F3} | {torchMs:F3} | {b / ort * 1000:F0} | {b / torchMs * 1000:F0} | {torchMs / ort:F2} |");

static float[] Fill(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
