namespace HierTcn.Inference.Internal;

/// <summary>One batch row's outcome: whether its user embedding is finite, the embedding itself when the row asked for
/// it (GetUserEmbedding; empty for Recommend, which needs only the check), and when scored its top k (finite scores
/// only). A struct, so a Recommend allocates nothing for it beyond its items.</summary>
internal readonly record struct EmbedResult(bool Finite, float[] Embedding, ItemScore[] Items);
