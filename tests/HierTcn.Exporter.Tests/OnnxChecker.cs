using System.Diagnostics;

namespace HierTcn.Exporter.Tests;

/// <summary>Runs Python's onnx package, an ONNX implementation this project did not write.</summary>
internal static class OnnxChecker
{
    /// <summary>The full checker and strict shape inference on <paramref name="path"/>; returns the exit code and
    /// everything printed.</summary>
    public static (int Code, string Output) Check(string path) => Python(
        "import sys, onnx\n"
        + "m = onnx.load(sys.argv[1])\n"
        + "onnx.checker.check_model(m, full_check=True)\n"
        + "inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)\n"
        + "print('ok', onnx.__version__, 'ir', m.ir_version, 'opset', m.opset_import[0].version, 'nodes', len(m.graph.node), 'inferred values', len(inferred.graph.value_info))\n",
        path);

    /// <summary>Debian's interpreter, where python3-onnx installs, ahead of any python3 earlier on PATH (pyenv).</summary>
    private static string Interpreter => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public static (int Code, string Output) Python(string script, params string[] args)
    {
        var start = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "python3 timed out after 120 s");
        }
        return (p.ExitCode, stdout + stderr.Result);
    }
}
