namespace HierTcn.Tests.Shared;

/// <summary>TLS files for a test cluster: every node serves <see cref="CertificateFile"/>, requires client
/// certificates from <see cref="CaFile"/>'s authority, and speaks TLS on its cluster bus.</summary>
public sealed record RespTls(string CaFile, string CertificateFile, string KeyFile);
