namespace HierTcn.Formats.Bundles;

/// <summary>Sizes of an exported model. <see cref="Layers"/> x <see cref="Hidden"/> is the recurrent state a user
/// carries between requests (high-level GRU, HRNN user GRU, flat GRU). TCN models also set the TCN fields;
/// <see cref="ReceptiveField"/> is the longest input row count that can change an output (null: unbounded, a GRU).
/// <see cref="FeatureDim"/> is set for models trained in the feature setting (<c>train --items features</c>): the width
/// of an item's feature vector, which the bundle's <see cref="GraphRoles.Project"/> graph maps to an item vector of
/// <see cref="ItemDim"/>; null for ID models, which cannot embed an item they never saw. <see cref="SessionMean"/> is
/// true for a HierTCN trained with <c>--tcn-session-mean</c>: each low-level row also reads the mean of the session's
/// rows so far, so its receptive field is the whole session (null) and its TCN buffers end with the running sum and
/// count (<see cref="BundleSignatures.TcnBufferSize"/>); null otherwise. <see cref="TimeGap"/> is true for a HierTCN or
/// HierGRU trained with <c>--high-time-gap</c>: its update graph also reads the minutes from the folded session's last
/// event to the next session's start (<see cref="BundleSignatures.Tensors.GapMinutes"/>), so a session is folded in
/// when the next one begins; null otherwise. <see cref="RecentPop"/> is true for a HierTCN or HierGRU trained with
/// <c>--recent-pop-prior</c>: its score adds w log(1 + c_i), c_i the item's clicks in the window before the request
/// (the manifest's <see cref="BundleManifest.RecentPopPrior"/>), so its score graph also reads
/// <see cref="BundleSignatures.Tensors.ItemPrior"/>; null otherwise.</summary>
public sealed record ModelDims(int ItemDim, int Layers, int Hidden, int? Channels = null, int? Kernel = null, int? Blocks = null,
    int? ReceptiveField = null, int? FeatureDim = null, bool? SessionMean = null, bool? TimeGap = null, bool? RecentPop = null);
