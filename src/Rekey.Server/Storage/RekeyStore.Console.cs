using System.Text.Json;

namespace Rekey.Server.Storage;

/// <summary>A console session as stored: the SHA-256 of the token that signed in, the antiforgery secret, its times (epoch ms).</summary>
internal sealed record ConsoleSession(byte[] TokenHash, string Csrf, long CreatedAt, long SeenAt)
{
    public override string ToString() => $"ConsoleSession {{ CreatedAt = {CreatedAt}, SeenAt = {SeenAt} }}";
}

internal sealed partial class RekeyStore
{
    /// <summary>Longest name prefix searched: the index key is the whole lowercased name.</summary>
    private const string NamePrefixEnd = "\U0010FFFF";

    /// <summary>What the console searches a client's name by: its <c>clientName</c>, lowercased; null without one.</summary>
    private static string? NameKey(string document)
    {
        try
        {
            using var json = JsonDocument.Parse(document);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("clientName", out var name) && name.ValueKind == JsonValueKind.String
                ? name.GetString()!.ToLowerInvariant()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A page of a service's clients for the console: after <paramref name="afterNumber"/> in creation order, or — with
    /// a <paramref name="query"/> — the client whose ID or alias it is, then those whose name starts with it. Every
    /// path is an index range, so a service of a million clients answers as fast as one of ten.
    /// </summary>
    public Task<Outcome<IReadOnlyList<StoredClient>>> FindClientsAsync(long serviceId, string? query, long afterNumber, int limit, CancellationToken ct) =>
        ReadUnitAsync<Outcome<IReadOnlyList<StoredClient>>>(async (s, ct) =>
        {
            if (!await ServiceExistsAsync(s, serviceId, ct))
            {
                return StoreRules.ServiceNotFound(serviceId);
            }

            if (string.IsNullOrWhiteSpace(query))
            {
                return (await s.QueryAsync(new Sql(_sql.ClientsAfter, SqlArg.Long("s", serviceId), SqlArg.Long("after", afterNumber), SqlArg.Int("limit", limit)), Rows.Client, ct))
                    .Select(r => r.Client).ToList();
            }

            var q = query.Trim();
            var found = new List<StoredClient>();
            if (!q.Contains('\0', StringComparison.Ordinal) && await s.QueryAsync(new Sql(_sql.ClientByKey, ClientKey(serviceId, q)), Rows.Client, ct) is [var exact])
            {
                found.Add(exact.Client);
            }

            var prefix = q.ToLowerInvariant().Replace("\0", "", StringComparison.Ordinal);
            if (prefix.Length > 0)
            {
                var named = await s.QueryAsync(new Sql(_sql.ClientsByNamePrefix, SqlArg.Long("s", serviceId), SqlArg.Text("lo", prefix), SqlArg.Text("hi", prefix + NamePrefixEnd),
                    SqlArg.Int("limit", limit)), Rows.Client, ct);
                found.AddRange(named.Select(r => r.Client).Where(c => found.TrueForAll(f => f.ClientId != c.ClientId)));
            }

            return found.Take(limit).ToList();
        }, ct);

    public Task CreateConsoleSessionAsync(string sessionHash, byte[] tokenHash, string csrf, long now, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) => await s.ExecuteAsync(new Sql(_sql.InsertConsoleSession, SqlArg.Text("id", sessionHash), SqlArg.Bytes("token", tokenHash),
            SqlArg.Text("csrf", csrf), SqlArg.Long("now", now)), ct), ct);

    public Task<ConsoleSession?> FindConsoleSessionAsync(string sessionHash, CancellationToken ct) =>
        ReadUnitAsync(async (s, ct) => (await s.QueryAsync(new Sql(_sql.ConsoleSessionById, SqlArg.Text("id", sessionHash)),
            r => new ConsoleSession((byte[])r.GetValue(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)), ct)).SingleOrDefault(), ct);

    public Task TouchConsoleSessionAsync(string sessionHash, long now, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) => await s.ExecuteAsync(new Sql(_sql.TouchConsoleSession, SqlArg.Text("id", sessionHash), SqlArg.Long("now", now)), ct), ct);

    public Task DeleteConsoleSessionAsync(string sessionHash, CancellationToken ct) =>
        WriteUnitAsync(async (s, ct) => await s.ExecuteAsync(new Sql(_sql.DeleteConsoleSession, SqlArg.Text("id", sessionHash)), ct), ct);

    /// <summary>Deletes sessions idle since before <paramref name="idleBefore"/> or created before <paramref name="createdBefore"/>; how many.</summary>
    public Task<int> ForgetStaleConsoleSessionsAsync(long idleBefore, long createdBefore, CancellationToken ct) =>
        WriteUnitAsync((s, ct) => s.ExecuteAsync(new Sql(_sql.DeleteStaleConsoleSessions, SqlArg.Long("idle", idleBefore), SqlArg.Long("created", createdBefore)), ct), ct);
}
