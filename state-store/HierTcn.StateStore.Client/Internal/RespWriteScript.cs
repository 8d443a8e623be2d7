namespace HierTcn.StateStore.Client.Internal;

/// <summary>The one write of the RESP store, as a Lua script the server runs atomically (Redis always; Garnet with
/// <c>--lua --lua-transaction-mode</c>, which locks the script's keys; without it a script is not isolated from
/// other clients). A user is a hash: <c>v</c>, the version (decimal), and <c>s</c>, the serialized state. A delete
/// removes <c>s</c> and keeps <c>v</c> (a tombstone, expiring like a state), so a state created again gets a version
/// above every earlier one of its key (no ABA), as in the engine. Asked to, the script also returns the id of the node
/// that ran it (CLUSTER MYID), which is not the slot's owner in the client's map when the write was sent on with ASK
/// during a slot migration: the replica wait goes to that node.</summary>
internal static class RespWriteScript
{
    /// <summary>KEYS[1] the user's key; ARGV[1] the operation ("p" put, "c" compare-and-swap, "d" delete, "r"
    /// rewrite), ARGV[2] the expected version (compare-and-swap, rewrite), ARGV[3] the state, ARGV[4] the expiry in
    /// milliseconds (0: none), ARGV[5] "1" to return the node's id. A rewrite writes the stored version field again,
    /// unchanged, when the state is there at the expected version, so that the write and everything before it on
    /// that primary go to its replicas (and its AOF) again and a WAIT after it covers them. Returns {status, version}
    /// (with ARGV[5] "1", {status, version, node id}): status <see cref="Applied"/> with the new version (a delete:
    /// the removed one; a rewrite: the unchanged one), <see cref="Mismatch"/> with the current version (0: absent),
    /// or <see cref="Absent"/>.</summary>
    public const string Source = """
        local function reply(status, version)
          if ARGV[5] == '1' then return {status, version, redis.call('CLUSTER', 'MYID')} end
          return {status, version}
        end
        local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
        local present = redis.call('HEXISTS', KEYS[1], 's') == 1
        local current = 0
        if present then current = v end
        if (ARGV[1] == 'c' or ARGV[1] == 'r') and tonumber(ARGV[2]) ~= current then return reply(1, current) end
        local ttl = tonumber(ARGV[4])
        if ARGV[1] == 'r' then
          if not present then return reply(1, 0) end
          redis.call('HSET', KEYS[1], 'v', string.format('%d', v))
          return reply(0, v)
        end
        if ARGV[1] == 'd' then
          if not present then return reply(2, 0) end
          redis.call('HDEL', KEYS[1], 's')
          if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
          return reply(0, current)
        end
        v = v + 1
        redis.call('HSET', KEYS[1], 'v', string.format('%d', v), 's', ARGV[3])
        if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
        return reply(0, v)
        """;

    /// <summary>Script status: written.</summary>
    public const long Applied = 0;

    /// <summary>Script status: the compare-and-swap found another version.</summary>
    public const long Mismatch = 1;

    /// <summary>Script status: nothing to delete.</summary>
    public const long Absent = 2;

    public const string Put = "p";

    public const string CompareAndSwap = "c";

    public const string Delete = "d";

    public const string Rewrite = "r";
}
