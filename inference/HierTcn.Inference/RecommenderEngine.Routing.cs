using HierTcn.Inference.Internal;
using HierTcn.StateStore;

namespace HierTcn.Inference;

public sealed partial class RecommenderEngine
{
    /// <summary>The version user <paramref name="userId"/> is assigned to by the current A/B arms.</summary>
    public string AssignedVersion(long userId) => _registry.Router.Assign(userId);

    /// <summary>A reference to the model a request runs on: the forced version, or the user's A/B assignment.</summary>
    private ServedModel? Acquire(string? forced, long userId, out string version, out string? error)
    {
        while (true)
        {
            var registry = _registry;
            version = string.IsNullOrEmpty(forced) ? registry.Router.Assign(userId) : forced;
            if (!registry.Models.TryGetValue(version, out var model))
            {
                error = $"model_version \"{forced}\" is not loaded; loaded versions: {string.Join(", ", registry.Models.Keys)}";
                return null;
            }
            if (model.TryAcquire())
            {
                error = null;
                return model;
            }
        }
    }

    /// <summary>The lock stripe of a user's state under a version: writers of one state take turns.</summary>
    private SemaphoreSlim LockOf(string version, long userId) =>
        _userLocks[(int)(new StateKey(version, userId).StableHash % LockStripes)];
}
