using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Rekey.Contracts;

namespace Rekey.Bench.Hosts;

/// <summary>The no-op endpoint on Rekey's stack (bench/Rekey.Bench.Ceiling).</summary>
internal sealed class CeilingHost(ChildProcess process)
{
    public ChildProcess Process => process;

    public static async Task<CeilingHost> StartAsync(Fixtures fixtures, CancellationToken ct) =>
        new(await fixtures.StartProcessAsync("ceiling", Repo.Executable("bench/Rekey.Bench.Ceiling", "Rekey.Bench.Ceiling"), [], "/healthz", ct));
}

/// <summary>A confidential client of the Rekey server under test and its current secret.</summary>
internal sealed record BenchClient(long ClientId, string Secret)
{
    public override string ToString() => $"BenchClient {{ ClientId = {ClientId} }}";
}

/// <summary>
/// The real, Release-built Rekey.Server in its own process, with its own data directory and a known organisation
/// token, set up through its API: one service, a pool of clients for spread updates, one hot client, one client for
/// the token endpoint. Nothing is written to its store except through the API.
/// </summary>
internal sealed class RekeyServerHost
{
    public const string AdminToken = "bench-admin-token-0123456789abcdef";

    /// <summary>The argument that turns the verification cache off: every token request reads the database, as before issue #20.</summary>
    public const string NoCache = "--Rekey:Cache:Enabled=false";

    private RekeyServerHost(ChildProcess process, string synchronous, string dataDirectory)
    {
        Process = process;
        Synchronous = synchronous;
        DataDirectory = dataDirectory;
    }

    public ChildProcess Process { get; }

    public string Synchronous { get; }

    public string DataDirectory { get; }

    public long ServiceId { get; private set; }

    public IReadOnlyList<BenchClient> Pool { get; private set; } = [];

    public BenchClient Hot { get; private set; } = new(0, "");

    public BenchClient TokenClient { get; private set; } = new(0, "");

    public TimeSpan SetupTime { get; private set; }

    /// <summary>Seeding through <c>client/create</c>: clients per second, measured over the whole set-up.</summary>
    public double SeedRate { get; private set; }

    /// <summary>The database, for a server on the run's PostgreSQL cluster; null for one on SQLite.</summary>
    public PostgresDatabase? Database { get; private set; }

    /// <summary>
    /// The server on the run's PostgreSQL cluster shared by the targets that name it (the update of the postgres
    /// scenario, the token of the scaleout one): database <c>rekey</c>, default settings.
    /// </summary>
    public static Task<RekeyServerHost> OnPostgresAsync(Fixtures fixtures, CancellationToken ct) => OnPostgres("rekey-postgres", "rekey")(fixtures, ct);

    /// <summary>
    /// A server named <paramref name="name"/> on a database of its own on the run's PostgreSQL cluster (created empty
    /// here: the server runs its own migrations); unavailable, not failed, when PostgreSQL's binaries are missing or the
    /// server does not start on it.
    /// </summary>
    public static Func<Fixtures, CancellationToken, Task<RekeyServerHost>> OnPostgres(string name, string database, params string[] extraArguments) =>
        (fixtures, ct) => PostgresAsync(fixtures, name, database, applicationName: null, ct, extraArguments);

    /// <summary>
    /// <see cref="OnPostgres"/>, with the connections named <paramref name="applicationName"/> in <c>pg_stat_activity</c>
    /// (null: the server's default, whose change feed is <c>rekey:change-feed</c>).
    /// </summary>
    public static async Task<RekeyServerHost> PostgresAsync(Fixtures fixtures, string name, string database, string? applicationName, CancellationToken ct,
        params string[] extraArguments)
    {
        var cluster = await fixtures.GetAsync("postgres", PostgresCluster.StartAsync, ct);
        await cluster.CreateDatabaseAsync(database, ct);
        var db = new PostgresDatabase(cluster, database);
        var host = await StartOnPostgresAsync(() => StartAsync(fixtures, name, "FULL", fixtures.Options.PoolSize, seedBudget: null, ct,
            [.. PostgresArguments(db, applicationName), .. extraArguments]));
        host.Database = db;
        return host;
    }

    /// <summary>
    /// A second node of <paramref name="first"/>'s database, named <paramref name="applicationName"/> in its connection
    /// string: no set-up of its own, it shares the first node's service and clients (they are in the same database).
    /// </summary>
    public static async Task<RekeyServerHost> StartNodeAsync(Fixtures fixtures, string name, RekeyServerHost first, string applicationName, CancellationToken ct,
        params string[] extraArguments)
    {
        var db = first.Database ?? throw new InvalidOperationException("A second node needs a first one on PostgreSQL.");
        var host = await StartOnPostgresAsync(() => LaunchAsync(fixtures, name, "FULL", ct, [.. PostgresArguments(db, applicationName), .. extraArguments]));
        host.Database = db;
        host.ServiceId = first.ServiceId;
        host.Pool = first.Pool;
        host.Hot = first.Hot;
        host.TokenClient = first.TokenClient;
        return host;
    }

    private static string[] PostgresArguments(PostgresDatabase database, string? applicationName) =>
        ["--Rekey:Storage:Provider=postgres", $"--Rekey:Storage:ConnectionString={database.Cluster.ConnectionString(database.Name, applicationName)}"];

    /// <summary>A server that exits during start-up on PostgreSQL makes its targets unavailable, with the last line of its log that says why.</summary>
    private static async Task<RekeyServerHost> StartOnPostgresAsync(Func<Task<RekeyServerHost>> start)
    {
        try
        {
            return await start();
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("exited during start-up", StringComparison.Ordinal))
        {
            var reason = ex.Message.Split('\n').LastOrDefault(l => l.Contains("rekey:", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal))?.Trim();
            throw new TargetUnavailableException($"not available: the server did not start on PostgreSQL ({reason ?? "see its log"})");
        }
    }

    public static Func<Fixtures, CancellationToken, Task<RekeyServerHost>> Starter(string synchronous) =>
        (fixtures, ct) => StartAsync(fixtures, "rekey-" + synchronous.ToLowerInvariant(), synchronous, fixtures.Options.PoolSize, seedBudget: null, ct);

    /// <summary>A server named <paramref name="name"/> on SQLite (FULL) with the pool of clients and these arguments.</summary>
    public static Func<Fixtures, CancellationToken, Task<RekeyServerHost>> OnSqlite(string name, params string[] extraArguments) =>
        (fixtures, ct) => StartAsync(fixtures, name, "FULL", fixtures.Options.PoolSize, seedBudget: null, ct, extraArguments);

    /// <summary>
    /// A server whose registry holds <paramref name="clients"/> clients, seeded through the API in chunks; gives up
    /// (throws <see cref="SeedTooSlowException"/>) as soon as the measured rate says the seeding would outlast
    /// <paramref name="seedBudget"/>.
    /// </summary>
    public static Func<Fixtures, CancellationToken, Task<RekeyServerHost>> Registry(string name, int clients, TimeSpan seedBudget) =>
        (fixtures, ct) => StartAsync(fixtures, name, "FULL", clients, seedBudget, ct);

    public static async Task<RekeyServerHost> StartAsync(Fixtures fixtures, string name, string synchronous, int poolSize, TimeSpan? seedBudget, CancellationToken ct,
        params string[] extraArguments)
    {
        var host = await LaunchAsync(fixtures, name, synchronous, ct, extraArguments);
        await host.SetUpAsync(poolSize, seedBudget, ct);
        return host;
    }

    /// <summary>The process alone, ready to answer, with nothing set up.</summary>
    private static async Task<RekeyServerHost> LaunchAsync(Fixtures fixtures, string name, string synchronous, CancellationToken ct, params string[] extraArguments)
    {
        var dataDirectory = Path.Combine(fixtures.WorkDirectory, name, "data");
        var process = await fixtures.StartProcessAsync(name, Repo.Executable("src/Rekey.Server", "Rekey.Server"),
            [$"--Rekey:DataDirectory={dataDirectory}", $"--Rekey:AdminToken={AdminToken}", $"--Rekey:Storage:SqliteSynchronous={synchronous}", .. extraArguments],
            "/healthz", ct);
        return new RekeyServerHost(process, synchronous, dataDirectory);
    }

    public HttpClient CreateAdminClient()
    {
        var http = new HttpClient { BaseAddress = Process.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return http;
    }

    /// <summary>Bytes of the SQLite files (database, WAL, shared memory) in the data directory; null when there are none (a server on PostgreSQL).</summary>
    public long? DatabaseBytes() => FileBytes("rekey.db*");

    /// <summary>Of those, the write-ahead log and its index (rekey.db-wal, rekey.db-shm): bounded by the checkpointer, not by the registry.</summary>
    public long? LogBytes() => FileBytes("rekey.db-*");

    private long? FileBytes(string pattern)
    {
        var files = Directory.Exists(DataDirectory) ? Directory.EnumerateFiles(DataDirectory, pattern).ToList() : [];
        return files.Count == 0 ? null : files.Sum(f => new FileInfo(f).Length);
    }

    private async Task SetUpAsync(int poolSize, TimeSpan? seedBudget, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var http = CreateAdminClient();
        using var serviceResponse = await http.PostAsJsonAsync("api/service/create",
            new ServiceDocument { ServiceName = "bench" }, RekeyJsonContext.Default.ServiceDocument, ct);
        var service = await ReadAsync(serviceResponse, RekeyJsonContext.Default.ServiceDocument, ct);
        ServiceId = service.ApiKey ?? throw new InvalidOperationException("service/create returned no apiKey.");

        var total = poolSize + 2;
        var clients = new List<BenchClient>(total);
        const int Chunk = 10_000;
        while (clients.Count < total)
        {
            clients.AddRange(await CreateClientsAsync(http, ServiceId, Math.Min(Chunk, total - clients.Count), parallelism: 64, ct));
            SeedRate = clients.Count / started.Elapsed.TotalSeconds;
            var projected = TimeSpan.FromSeconds(total / SeedRate);
            if (seedBudget is { } budget && projected > budget)
            {
                throw new SeedTooSlowException(clients.Count, SeedRate, projected);
            }
        }

        Pool = clients.Take(poolSize).ToList();
        Hot = clients[poolSize];
        TokenClient = clients[poolSize + 1];
        SetupTime = started.Elapsed;
    }

    /// <summary>Creates <paramref name="count"/> confidential client-credentials clients through <c>client/create</c>.</summary>
    public static async Task<BenchClient[]> CreateClientsAsync(HttpClient http, long serviceId, int count, int parallelism, CancellationToken ct)
    {
        var clients = new BenchClient[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (i, token) =>
        {
            var document = new ClientDocument
            {
                ClientName = "bench-" + i,
                ClientType = "CONFIDENTIAL",
                GrantTypes = ["CLIENT_CREDENTIALS"],
                TokenAuthMethod = "CLIENT_SECRET_BASIC",
            };
            using var response = await http.PostAsJsonAsync($"api/{serviceId}/client/create", document, RekeyJsonContext.Default.ClientDocument, token);
            var created = await ReadAsync(response, RekeyJsonContext.Default.ClientDocument, token);
            clients[i] = new BenchClient(
                created.ClientId ?? throw new InvalidOperationException("client/create returned no clientId."),
                created.ClientSecret ?? throw new InvalidOperationException("client/create returned no clientSecret to the organisation token."));
        });
        return clients;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {body}");
        }

        return JsonSerializer.Deserialize(body, type) ?? throw new InvalidOperationException("Empty answer from " + response.RequestMessage?.RequestUri);
    }
}

/// <summary>
/// Two Rekey processes (nodes) on one PostgreSQL database of their own (<c>rekey_nodes</c>), whose connection strings
/// name them <c>node-a</c> and <c>node-b</c>, so that each node's change feed shows in <c>pg_stat_activity</c> as
/// <c>node-a:change-feed</c> and <c>node-b:change-feed</c>. Node A is set up through its API as every server is; node
/// B shares its service and clients: a client created on A authenticates at B, since both read the same database and
/// hold the same master key. Shared by the two-node token target and the propagation trials.
/// </summary>
internal sealed class RekeyNodes(RekeyServerHost a, RekeyServerHost b)
{
    public const string Key = "rekey-nodes";

    public const string NameA = "node-a";

    public const string NameB = "node-b";

    public RekeyServerHost A { get; } = a;

    public RekeyServerHost B { get; } = b;

    public PostgresDatabase Database => A.Database ?? throw new InvalidOperationException("Nodes run on PostgreSQL.");

    public static async Task<RekeyNodes> StartAsync(Fixtures fixtures, CancellationToken ct)
    {
        // The same master key on every node, from configuration (docs/deployment.md, "Configuration of every node"): a
        // key file is for a single node, and a second node without a key refuses to start beside the first one's data keys.
        var masterKey = $"--Rekey:MasterKeys:0=bench:{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}";
        var a = await RekeyServerHost.PostgresAsync(fixtures, "rekey-" + NameA, "rekey_nodes", NameA, ct, masterKey);
        var b = await RekeyServerHost.StartNodeAsync(fixtures, "rekey-" + NameB, a, NameB, ct, masterKey);
        return new RekeyNodes(a, b);
    }

    /// <summary>The <c>application_name</c> of a node's change feed connection: the server appends this to the node's own.</summary>
    public static string FeedOf(string node) => node + ":change-feed";
}

/// <summary>Seeding a large registry through the API would take longer than the run allows.</summary>
internal sealed class SeedTooSlowException(int seeded, double rate, TimeSpan projected)
    : Exception($"seeding through client/create runs at {rate:0} clients/s ({seeded} created); the whole registry would take {projected.TotalMinutes:0.0} min")
{
    public double Rate { get; } = rate;
}

/// <summary>The OpenIddict peer (bench/Rekey.Bench.OpenIddict) with one confidential client.</summary>
internal sealed class PeerHost
{
    public const string ClientId = "bench-client";

    private PeerHost(ChildProcess process, string secret, bool lean, Dictionary<string, JsonElement> info)
    {
        Process = process;
        ClientSecret = secret;
        Lean = lean;
        Info = info;
    }

    public ChildProcess Process { get; }

    public string ClientSecret { get; }

    /// <summary>True when token storage and access token encryption are off (the client authentication is unchanged).</summary>
    public bool Lean { get; }

    /// <summary>What the peer reports about itself, read from its own store (hash format, iterations, …).</summary>
    public Dictionary<string, JsonElement> Info { get; }

    public static Func<Fixtures, CancellationToken, Task<PeerHost>> Starter(bool lean) => (fixtures, ct) => StartAsync(fixtures, lean, ct);

    private static async Task<PeerHost> StartAsync(Fixtures fixtures, bool lean, CancellationToken ct)
    {
        var name = lean ? "openiddict-lean" : "openiddict";
        // Same length and alphabet as a Rekey-generated secret: 64 random bytes, base64url, 86 characters.
        var secret = Base64Url(RandomNumberGenerator.GetBytes(64));
        var database = Path.Combine(fixtures.WorkDirectory, name, "peer.db");
        var process = await fixtures.StartProcessAsync(name, Repo.Executable("bench/Rekey.Bench.OpenIddict", "Rekey.Bench.OpenIddict"),
            [$"--Peer:Database={database}", $"--Peer:ClientId={ClientId}", $"--Peer:ClientSecret={secret}",
             $"--Peer:TokenStorage={!lean}", $"--Peer:EncryptAccessTokens={!lean}"], "/healthz", ct);
        using var http = new HttpClient { BaseAddress = process.BaseAddress };
        var info = await http.GetFromJsonAsync<Dictionary<string, JsonElement>>("peer/info", ct) ?? [];
        return new PeerHost(process, secret, lean, info);
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
