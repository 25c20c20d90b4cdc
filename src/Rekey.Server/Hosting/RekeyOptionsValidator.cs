using Microsoft.Extensions.Options;

namespace Rekey.Server.Hosting;

/// <summary>Cross-field rules; a broken one stops the server before it listens, with one clear line.</summary>
internal sealed class RekeyOptionsValidator : IValidateOptions<RekeyOptions>
{
    private static readonly string[] Providers = ["sqlite", "postgres"];

    private const int MaxSqliteWriteQueueLimit = 1 << 20;

    private const int MaxStartupTimeoutSeconds = 3600;

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

        if (options.Storage.StartupTimeoutSeconds is < 0 or > MaxStartupTimeoutSeconds)
        {
            errors.Add($"Rekey:Storage:StartupTimeoutSeconds must be between 0 and {MaxStartupTimeoutSeconds}.");
        }

        errors.AddRange(ForwardedHeaders.Check(options.ForwardedHeaders));

        if (options.MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add("Rekey:MaxRequestBodyBytes must be between 1024 and 16777216.");
        }

        if (!string.IsNullOrEmpty(options.PublicBaseUrl) &&
            (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https") || origin.Query.Length > 0 || origin.Fragment.Length > 0))
        {
            errors.Add("Rekey:PublicBaseUrl must be an absolute http(s) URL without query or fragment.");
        }

        if (options.SigningKeyActivationDelay < TimeSpan.Zero || options.SigningKeyActivationDelay > TimeSpan.FromDays(7))
        {
            errors.Add("Rekey:SigningKeyActivationDelay must be between 00:00:00 and 7.00:00:00.");
        }

        if (options.SigningKeyRetirementMargin < TimeSpan.Zero || options.SigningKeyRetirementMargin > TimeSpan.FromDays(1))
        {
            errors.Add("Rekey:SigningKeyRetirementMargin must be between 00:00:00 and 1.00:00:00.");
        }

        Range(errors, "Rekey:Events:SweepIntervalSeconds", options.Events.SweepIntervalSeconds, 1, 3600);
        Range(errors, "Rekey:Events:RetentionDays", options.Events.RetentionDays, 1, 3650);
        Range(errors, "Rekey:Webhooks:TimeoutSeconds", options.Webhooks.TimeoutSeconds, 1, 60);
        Range(errors, "Rekey:Webhooks:LeaseMarginSeconds", options.Webhooks.LeaseMarginSeconds, 1, 300);
        Range(errors, "Rekey:Webhooks:PollIntervalMilliseconds", options.Webhooks.PollIntervalMilliseconds, 50, 60000);
        Range(errors, "Rekey:Webhooks:Concurrency", options.Webhooks.Concurrency, 1, 64);
        Range(errors, "Rekey:Webhooks:MaxPerService", options.Webhooks.MaxPerService, 1, 1000);
        Range(errors, "Rekey:Leaks:ReportRetentionDays", options.Leaks.ReportRetentionDays, 1, 3650);
        Range(errors, "Rekey:Cache:MaxMegabytes", options.Cache.MaxMegabytes, 1, 4096);
        Range(errors, "Rekey:Cache:StalenessMilliseconds", options.Cache.StalenessMilliseconds, 500, 60000);
        Range(errors, "Rekey:Leaks:GitHub:MaxMatches", options.Leaks.GitHub.MaxMatches, 1, 10000);
        if (!Contracts.IdentifiableSecret.IsValidPrefix(options.Leaks.SecretPrefix))
        {
            errors.Add($"Rekey:Leaks:SecretPrefix must be 2 to {Contracts.IdentifiableSecret.MaxPrefixLength} characters of A-Z a-z 0-9 - _, not starting with '-' and ending with '_' or '-'.");
        }

        errors.AddRange(Leaks.GitHubKeys.Problems(options.Leaks.GitHub));
        if (options.Webhooks.RetrySchedule.Count > 50 || options.Webhooks.RetrySchedule.Any(w => w < TimeSpan.Zero || w > TimeSpan.FromDays(7)))
        {
            errors.Add("Rekey:Webhooks:RetrySchedule must hold at most 50 waits, each between 00:00:00 and 7.00:00:00.");
        }

        if (options.Console.IdleTimeout < TimeSpan.FromMinutes(1) || options.Console.AbsoluteTimeout < options.Console.IdleTimeout
            || options.Console.AbsoluteTimeout > TimeSpan.FromDays(7))
        {
            errors.Add("Rekey:Console:IdleTimeout must be at least 00:01:00, and AbsoluteTimeout between it and 7.00:00:00.");
        }

        if (options.Webhooks.DisableAfter < TimeSpan.FromMinutes(1))
        {
            errors.Add("Rekey:Webhooks:DisableAfter must be at least 00:01:00.");
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

    private static void Range(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} must be between {min} and {max} (got {value}).");
        }
    }
}
