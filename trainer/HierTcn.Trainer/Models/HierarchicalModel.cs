using HierTcn.Trainer.Models.Internal;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models;

/// <summary>A two-level model (HierTCN, HierGRU, HRNN) that reads one session per batch row per step.</summary>
public abstract class HierarchicalModel : RecommenderModel
{
    private protected HierarchicalModel(string name, ModelOptions options, ItemSource items) : base(name, options, items) { }

    /// <summary>State for <paramref name="batch"/> rows, all at a user's start: a zero high-level state, no pending
    /// session, nothing carried by the low level (HRNN overrides it to carry its session GRU state).</summary>
    public virtual HierarchicalState InitialState(int batch)
    {
        Device dev = Device;
        return new HierarchicalState(
            zeros(Options.HighLayers, batch, Options.HighHidden, device: dev),
            zeros([batch, 1], int64, dev), zeros([batch], int64, dev), null);
    }

    /// <summary>
    /// Reads one session per row. <paramref name="items"/> [B, T] int64 (padded at the end), <paramref name="lengths"/>
    /// [B] int64 (0 for a row with no session this step: its state is kept), <paramref name="newUser"/> [B] bool (the
    /// row's session is its user's first: the high-level state restarts from the learned user start).
    /// <paramref name="gapMinutes"/> [B] float: minutes from the end of the row's pending session to the start of this
    /// one, read only with <see cref="ModelOptions.HighTimeGap"/> (then required; <see cref="GapMinutes"/> computes it).
    /// Returns u [B, T, d] where u[b, t] predicts items[b, t] from the session's items before t and the earlier
    /// sessions, and the state for the next step.
    /// </summary>
    public abstract (Tensor UserEmbeddings, HierarchicalState Next) Step(HierarchicalState state, Tensor items, Tensor lengths, Tensor newUser,
        Tensor? gapMinutes = null);

    /// <summary>Minutes from the event before <paramref name="firstEvent"/> (the user's previous event) to it: the
    /// <see cref="Step"/> gap of a session starting at that global event index; 0 at a user's first session (the high
    /// level restarts there and reads no gap) or a row with no session (<paramref name="firstEvent"/> &lt; 0).</summary>
    public static float GapMinutes(ReadOnlySpan<long> timestamps, int firstEvent, bool newUser) =>
        newUser || firstEvent <= 0 ? 0f : (float)Math.Max(0, (timestamps[firstEvent] - timestamps[firstEvent - 1]) / 60000.0);

    /// <summary>The high level's input for folding in a session: its item mean, and with
    /// <see cref="ModelOptions.HighTimeGap"/> the gap to the next session as log(1 + minutes) / 10.</summary>
    private protected Tensor HighInput(Tensor mean, Tensor? gapMinutes)
    {
        if (!Options.HighTimeGap)
        {
            return mean;
        }
        if (gapMinutes is null)
        {
            throw new ArgumentException("this model reads the time between sessions (high_time_gap): pass the gap of every row", nameof(gapMinutes));
        }
        return cat([mean, Arith.Div(Arith.ClampMin(gapMinutes.to(mean.dtype), 0).log1p(), 10).unsqueeze(1)], 1);
    }

    /// <summary>The high level's input width: the item size, plus one with <see cref="ModelOptions.HighTimeGap"/>.</summary>
    private protected static int HighInputWidth(ModelOptions options, int itemDim) => itemDim + (options.HighTimeGap ? 1 : 0);

    /// <summary>Whether the model trains on whole users (<see cref="ForwardUsers"/>): its high level reads only the
    /// sessions' item means (not with <see cref="ModelOptions.HighTimeGap"/>), so all sessions' low levels can run at once after the high level has stepped.</summary>
    public virtual bool ReadsWholeUsers => false;

    /// <summary>
    /// Reads every session of a batch of whole users (<see cref="Batching.UserSessionBatch"/>) with the gradient
    /// flowing through all of each user's high-level steps: the high level steps once per session index over all users
    /// (the k-th session of a user starts from the state after its first k sessions, the first from the learned user
    /// start), then each bucket's sessions run through the low level at once. <paramref name="items"/> and
    /// <paramref name="lengths"/> are the buckets' tensors; returns u for each bucket [R_i, T_i, d], equal to what
    /// <see cref="Step"/> computes session by session.
    /// </summary>
    public Tensor[] ForwardUsers(Batching.UserSessionBatch batch, IReadOnlyList<Tensor> items, IReadOnlyList<Tensor> lengths)
    {
        if (!ReadsWholeUsers)
        {
            throw new NotSupportedException($"{ModelKinds.Name(Kind)} does not train on whole users; use --batching queue.");
        }
        Device dev = Device;
        int users = batch.Users;
        int sessions = batch.MaxSessions;
        var means = new List<Tensor>(items.Count + 1);
        for (int i = 0; i < items.Count; i++)
        {
            means.Add(SessionMean(items[i], lengths[i]));
        }
        means.Add(zeros(1, Dim, device: dev));                              // the row empty cells point at
        Tensor grid = cat(means, 0).index_select(0, tensor(batch.GridRows).to(dev)).view(users, sessions, Dim);
        Tensor h = UserStart.unsqueeze(1).expand(-1, users, -1);
        var tops = new Tensor[sessions];
        tops[0] = h[Options.HighLayers - 1];
        for (int k = 1; k < sessions; k++)
        {
            h = HighStep(grid.select(1, k - 1), h);
            tops[k] = h[Options.HighLayers - 1];
        }
        Tensor topGrid = stack(tops, 1).view(users * sessions, -1);      // [B * S, H]
        var result = new Tensor[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            Tensor top = topGrid.index_select(0, tensor(batch.Buckets[i].Cells!).to(dev));
            result[i] = LowLevel(items[i], lengths[i], top);
        }
        return result;
    }

    /// <summary>The learned high-level start state [L, H] of every user (whole-user models).</summary>
    private protected virtual Tensor UserStart => throw new NotSupportedException();

    /// <summary>One high-level step on session means [B, d] from [L, B, H] (whole-user models).</summary>
    private protected virtual Tensor HighStep(Tensor mean, Tensor high) => throw new NotSupportedException();

    /// <summary>The low level over sessions [R, T] of <paramref name="lengths"/> [R], each starting from the high-level
    /// top state <paramref name="top"/> [R, H]: u [R, T, d] (whole-user models).</summary>
    private protected virtual Tensor LowLevel(Tensor items, Tensor lengths, Tensor top) => throw new NotSupportedException();

    /// <summary>Masked mean of the item vectors of each row's session: [B, T] ids, [B] lengths -> [B, d].</summary>
    private protected Tensor SessionMean(Tensor items, Tensor lengths)
    {
        Tensor mask = ValidMask(lengths, items.shape[1]).to(float32).unsqueeze(-1);
        Tensor sum = (ItemVectorsOf(items) * mask).sum(1);
        return sum / Arith.ClampMin(lengths, 1).to(float32).unsqueeze(-1);
    }

    /// <summary>[B] lengths -> [B, T] bool, true at positions before the length.</summary>
    internal static Tensor ValidMask(Tensor lengths, long steps) =>
        arange(steps, device: lengths.device).unsqueeze(0) < lengths.unsqueeze(1);

    /// <summary>Low-level input items: the start token, then the session's items shifted right by one: [B, T, d].</summary>
    private protected Tensor ShiftedInput(Tensor items, Tensor sessionStart)
    {
        long b = items.shape[0];
        Tensor start = sessionStart.view(1, 1, -1).expand(b, 1, -1);
        if (items.shape[1] == 1)
        {
            return start;
        }
        Tensor prev = ItemVectorsOf(items.slice(1, 0, items.shape[1] - 1, 1));
        return cat([start, prev], 1);
    }

    /// <summary>Dropout of <see cref="ModelOptions.InputDropout"/> on low-level input rows while training; the rows
    /// unchanged otherwise.</summary>
    private protected Tensor InputDropout(Tensor input) =>
        training && Options.InputDropout > 0 ? nn.functional.dropout(input, Options.InputDropout, training: true) : input;

    /// <summary>The low level's user vectors u [B, T, d] plus, with <paramref name="skip"/> (<c>--high-skip</c>), its map of
    /// the high level's top state <paramref name="top"/> [B, H], the same at every row of a session.</summary>
    private protected static Tensor WithHighSkip(Tensor u, Linear? skip, Tensor top) =>
        skip is null ? u : Arith.Add(u, skip.forward(top).unsqueeze(1));

    /// <summary>u [B, T, d] plus, with <paramref name="skip"/> (<c>--item-skip</c>), its map of each row's own input item
    /// vector <paramref name="previous"/> [B, T, d] (the previous item, or the start token at a session's first row).</summary>
    private protected static Tensor WithItemSkip(Tensor u, Linear? skip, Tensor previous) =>
        skip is null ? u : Arith.Add(u, skip.forward(previous));

    /// <summary>u [B, T, d] plus, with <paramref name="skip"/> (<c>--mean-skip</c>), its map of the input rows'
    /// <see cref="RunningMean"/>, which <paramref name="means"/> gives (computed only when the skip is there).</summary>
    private protected static Tensor WithMeanSkip(Tensor u, Linear? skip, Func<Tensor> means) =>
        skip is null ? u : Arith.Add(u, skip.forward(means()));

    /// <summary>Row t of x [B, T, n]: the mean of rows 0..t (causal; rows past a session's end are never scored).</summary>
    private protected static Tensor RunningMean(Tensor x)
    {
        Tensor counts = arange(1, x.shape[1] + 1, device: x.device).to(x.dtype).view(1, -1, 1);
        return x.cumsum(1) / counts;
    }

    /// <summary>Folds the pending session into the high state where one is pending, then restarts new users' rows.</summary>
    private protected static Tensor Advance(Tensor high, Tensor pendingLengths, Func<Tensor> update, Tensor newUser, Tensor userStart)
    {
        // The update runs even when no row has a pending session, so every parameter gets a (possibly zero) gradient
        // at every step: Adam's per-parameter step counts then stay equal, which keeps a resumed run exact.
        Tensor h = where(Arith.Greater(pendingLengths, 0).view(1, -1, 1), update(), high);
        Tensor start = userStart.unsqueeze(1).expand_as(h);
        return where(newUser.view(1, -1, 1), start, h);
    }
}
