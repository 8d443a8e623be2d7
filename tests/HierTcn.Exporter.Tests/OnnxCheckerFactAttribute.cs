using System.Diagnostics;

namespace HierTcn.Exporter.Tests;

/// <summary>A fact that needs Python's onnx package (Debian python3-onnx); skipped, visibly, where it is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(Probe);

    public OnnxCheckerFactAttribute()
    {
        if (Missing.Value is { } why)
        {
            Skip = why;
        }
    }

    private static string? Probe()
    {
        try
        {
            var (code, output) = OnnxChecker.Python("import onnx; print(onnx.__version__)");
            return code == 0 ? null : $"python3 cannot import onnx (install Debian package python3-onnx): {output.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"python3 not found ({e.Message}); install Debian package python3-onnx";
        }
    }
}
