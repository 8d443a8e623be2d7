namespace HierTcn.Exporter.Internal;

/// <summary>A TCN's sizes, read from its weights: blocks, input channels of block 0, channels, kernel.</summary>
internal sealed record TcnShape(int Blocks, int InputChannels, int Channels, int Kernel)
{
    /// <summary>Input rows that can reach the last output: 1 + sum over blocks of 2 (K - 1) 2^i.</summary>
    public int ReceptiveField => 1 + Enumerable.Range(0, Blocks).Sum(i => 2 * (Kernel - 1) * (1 << i));

    public static TcnShape FromWeights(ModelWeights w)
    {
        int blocks = 0;
        while (w.Contains($"tcn.blocks.{blocks}.conv1.weight"))
        {
            blocks++;
        }
        if (blocks == 0)
        {
            throw new InvalidDataException("weight tcn.blocks.0.conv1.weight is missing: the run has no TCN");
        }
        var conv = w.Get("tcn.blocks.0.conv1.weight", -1, -1, -1);
        return new TcnShape(blocks, conv.Shape[1], conv.Shape[0], conv.Shape[2]);
    }
}
