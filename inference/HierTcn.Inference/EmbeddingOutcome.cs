namespace HierTcn.Inference;

/// <summary>Result of <see cref="RecommenderEngine.GetUserEmbeddingAsync"/>.</summary>
public sealed record EmbeddingOutcome(ServeStatus Status, string? Error, float[] Embedding, string ModelVersion, bool UnknownUser);
