using Microsoft.Extensions.Options;

namespace Rekey.Server.Hosting;

/// <summary>Configuration section <c>Rekey</c> (environment variables <c>Rekey__…</c>).</summary>
internal sealed class RekeyOptions
{
    public const string Section = "Rekey";

    /// <summary>Where the SQLite file, the admin token and the master key file live; a relative path starts at the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The organisation token; when empty it is generated into <c>&lt;DataDirectory&gt;/admin-token</c>.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Master keys (<c>id:base64</c> or base64 of 32 bytes), oldest first; when empty, the key file is used.</summary>
    public List<string> MasterKeys { get; set; } = [];

    /// <summary>
    /// The public origin of this server (e.g. <c>https://rekey.example.com</c>), used to build each service's issuer
    /// <c>{PublicBaseUrl}/oauth2/{serviceId}</c>. When empty, the origin of each request is used; set it behind a
    /// proxy or when several nodes answer under one name, so that every token carries the same issuer.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Largest request body accepted on /api, in bytes.</summary>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    public StorageOptions Storage { get; set; } = new();

    public override string ToString() => $"RekeyOptions {{ DataDirectory = {DataDirectory}, Provider = {Storage.Provider} }}";
}

internal sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (default) or <c>postgres</c>.</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Optional for SQLite (default <c>Data Source=&lt;DataDirectory&gt;/rekey.db</c>), required for PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite <c>PRAGMA synchronous</c>: <c>FULL</c> (default, durable against power loss) or <c>NORMAL</c>.</summary>
    public string SqliteSynchronous { get; set; } = "FULL";

    /// <summary>
    /// Most SQLite writes waiting for the single writer or being written; one more is refused at once with 503
    /// (A000105, <c>Retry-After</c>) instead of queueing without limit.
    /// </summary>
    public int SqliteWriteQueueLimit { get; set; } = Storage.Sqlite.SqliteWriteQueue.DefaultLimit;
}

/// <summary>Cross-field rules; a broken one stops the server before it listens, with one clear line.</summary>
internal sealed class RekeyOptionsValidator : IValidateOptions<RekeyOptions>
{
    private static readonly string[] Providers = ["sqlite", "postgres"];

    private const int MaxSqliteWriteQueueLimit = 1 << 20;

    public ValidateOptionsResult Validate(string? name, RekeyOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Rekey:DataDirectory must not be empty.");
        }

        if (!Providers.Contains(options.Storage.Provider, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"Rekey:Storage:Provider must be one of: {string.Join(", ", Providers)} (got '{options.Storage.Provider}').");
        }

        if (string.Equals(options.Storage.Provider, "postgres", StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(options.Storage.ConnectionString))
        {
            errors.Add("Rekey:Storage:ConnectionString is required when Rekey:Storage:Provider is postgres.");
        }

        if (options.Storage.SqliteSynchronous is not ("FULL" or "NORMAL" or "EXTRA"))
        {
            errors.Add("Rekey:Storage:SqliteSynchronous must be FULL, EXTRA or NORMAL.");
        }

        if (options.Storage.SqliteWriteQueueLimit is < 1 or > MaxSqliteWriteQueueLimit)
        {
            errors.Add($"Rekey:Storage:SqliteWriteQueueLimit must be between 1 and {MaxSqliteWriteQueueLimit}.");
        }

        if (options.MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add("Rekey:MaxRequestBodyBytes must be between 1024 and 16777216.");
        }

        if (!string.IsNullOrEmpty(options.PublicBaseUrl) &&
            (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https") || origin.Query.Length > 0 || origin.Fragment.Length > 0))
        {
            errors.Add("Rekey:PublicBaseUrl must be an absolute http(s) URL without query or fragment.");
        }

        if (options.AdminToken is { Length: > 0 and < 16 })
        {
            errors.Add("Rekey:AdminToken must be at least 16 characters.");
        }

        foreach (var key in options.MasterKeys)
        {
            try
            {
                Secrets.KeyRing.ParseEntry(key);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                errors.Add("Rekey:MasterKeys entries must be 'id:base64' or base64 of exactly 32 bytes.");
                break;
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
