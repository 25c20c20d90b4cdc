using System.CommandLine;
using System.Text.Json.Nodes;
using Rekey.Contracts;

namespace Rekey.Cli;

/// <summary><c>rekey secret check</c>, <c>leak</c> and <c>format</c>: identifiable secrets and leak reports (issue #18, docs/leaks.md).</summary>
internal static partial class Commands
{
    private static Option<string> SecretValue() => new("--secret")
    {
        Description = "The value on the command line (discouraged: it lands in shell history)",
        HelpName = "value",
    };

    private static Option<FileInfo> SecretValueFile() => new("--secret-file") { Description = "Read the value from this file (one line; a trailing newline is stripped)", HelpName = "path" };

    private static Command SecretCheck(Session session)
    {
        var value = SecretValue();
        var file = SecretValueFile();
        var prefix = new Option<string>("--prefix")
        {
            Description = $"The deployment's prefix ('rekey secret format' shows it; default {IdentifiableSecret.DefaultPrefix})",
            HelpName = "prefix",
            DefaultValueFactory = _ => IdentifiableSecret.DefaultPrefix,
        };
        var check = new Command("check",
            "Check offline whether a value is a well-formed identifiable secret (prefix, length, base62, CRC32 checksum), and if not why; " +
            "the value is never printed and no server is contacted. Well-formed does not mean live: 'rekey secret leak' asks the server. " +
            "The value: asked without echo on a terminal, else one line of standard input, or --secret-file. Exit code 0 if well-formed, 1 if not")
        {
            value, file, prefix,
        };
        check.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var expected = parse.GetValue(prefix) ?? IdentifiableSecret.DefaultPrefix;
            if (!IdentifiableSecret.IsValidPrefix(expected))
            {
                throw new UsageException(
                    $"--prefix '{expected}' is not a secret prefix: 2 to {IdentifiableSecret.MaxPrefixLength} characters of A-Z a-z 0-9 - _, not starting with '-' and ending with '_' or '-'.");
            }

            var secret = await ReadSecretAsync(session, parse.GetValue(value), parse.GetValue(file), ct, "Value to check (not shown): ");
            var problem = IdentifiableSecret.Check(secret, expected);
            WriteOffline(parse, session, new JsonObject
            {
                ["valid"] = problem == IdentifiableSecretProblem.None,
                ["problem"] = problem.ToString(),
                ["description"] = IdentifiableSecret.Describe(problem, expected),
                ["prefix"] = expected,
            });
            return problem == IdentifiableSecretProblem.None ? ExitCodes.Success : ExitCodes.Refused;
        }, ct));
        return check;
    }

    private static Command SecretLeak(Session session)
    {
        var value = SecretValue();
        var file = SecretValueFile();
        var foundAt = new Option<string>("--found-at")
        {
            Description = "Where the value was found: a URL of at most 2,000 characters, kept in the audit trail and the client.secret.leaked event",
            HelpName = "url",
        };
        var allServices = new Option<bool>("--all-services")
        {
            Description = "Report it to every service (organisation token); --service and REKEY_SERVICE are ignored",
        };
        var yes = Yes();
        var leak = new Command("leak",
            "Report a value as leaked: each live secret it matches gets its service's leakResponse (REVOKE, the default: a previous secret is revoked, " +
            "a current one replaced by a generated secret and its client locked; LOCK; NOTIFY). Prints what was done, never a secret. " +
            "The value: asked without echo on a terminal, else one line of standard input, or --secret-file; asks for confirmation")
        {
            value, file, foundAt, session.Service, allServices, yes,
        };
        leak.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var everywhere = parse.GetValue(allServices);
            var serviceId = everywhere ? (long?)null : session.ServiceId(parse);
            var client = session.Client(parse);
            var secret = await ReadSecretAsync(session, parse.GetValue(value), parse.GetValue(file), ct, "Leaked value (not shown): ");
            session.Confirm(parse, yes, serviceId is { } id
                ? $"This reports the value as leaked to service {id}: a live secret it matches gets the service's leakResponse (by default it is revoked or replaced, and its client locked)"
                : "This reports the value as leaked to every service: each live secret it matches gets its service's leakResponse (by default it is revoked or replaced, and its client locked)");

            // The SDK checks ClientSecretRules before sending; a value that breaks a rule comes back as a local error (exit code 2).
            var request = new SecretLeakRequest { ClientSecret = secret, Url = parse.GetValue(foundAt) };
            var result = serviceId is { } service
                ? await client.ReportLeakAsync(service, request, ct)
                : await client.ReportLeakAnywhereAsync(request, ct);
            return session.Print(parse, result, Show.Leak,
                readBack: $"the audit trail (rekey audit {(everywhere ? "--all-services " : "")}--action {AuditActions.SecretLeak})");
        }, ct));
        return leak;
    }

    private static Command SecretFormat(Session session)
    {
        var format = new Command("format",
            "Show the identifiable secret format of the server: prefix, length, the regular expressions that find such secrets (for scanners), " +
            "the checksum and GitHub's token type");
        format.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var result = await session.Client(parse).GetSecretFormatAsync(ct);
            return session.Print(parse, result, Show.SecretFormat);
        }, ct));
        return format;
    }

    /// <summary>An answer computed here, not received: <c>key: value</c> lines, or the object as JSON or YAML.</summary>
    private static void WriteOffline(ParseResult parse, Session session, JsonObject answer)
    {
        switch (session.Format(parse))
        {
            case OutputFormat.Json:
                session.Out.WriteLine(TerminalText.Json(answer.ToJsonString()));
                break;
            case OutputFormat.Yaml:
                Yaml.Write(session.Out, answer);
                break;
            default:
                Human.KeyValues(session.Out, answer.Select(p => (p.Key, p.Value is JsonValue v && v.TryGetValue<bool>(out var b) ? Human.Flag(b) : p.Value?.ToString())));
                break;
        }
    }
}
