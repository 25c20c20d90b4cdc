using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    private static Command Secrets(Session session)
    {
        return new Command("secret",
            "Rotate client secrets, list them (never their values) and revoke previous ones; check identifiable secrets offline and report leaked ones")
        {
            SecretUpdate(session), SecretRefresh(session), SecretList(session), SecretRevoke(session), SecretCheck(session), SecretLeak(session), SecretFormat(session),
        };
    }

    /// <summary>
    /// What to read back after a rotation whose outcome the server could not tell (A000104): a current secret created
    /// just now means it was made, and its value never arrived.
    /// </summary>
    private static string ReadBackSecrets(string identifier) => $"the client (rekey client get {identifier} / rekey secret list {identifier})";

    private static Option<bool> ShowOld() => new("--show-old") { Description = "Also print the old secret (it is withheld by default)" };

    private static Option<long?> Grace() => Duration("--grace",
        "Seconds the old secret stays valid, instead of the service's clientSecretGracePeriod (0: it stops working at once; at most 30 days)");

    private static Command SecretUpdate(Session session)
    {
        var id = ClientIdentifier();
        var file = new Option<FileInfo>("--secret-file") { Description = "Read the new secret from this file (one line; a trailing newline is stripped)", HelpName = "path" };
        var value = new Option<string>("--secret") { Description = "The new secret on the command line (discouraged: it lands in shell history)", HelpName = "secret" };
        var showOld = ShowOld();
        var grace = Grace();
        var update = new Command("update",
            "Set a client's secret to a value of your choosing: asked twice without echo on a terminal, else one line of standard input, " +
            "or --secret-file. Allowed: 1 to 86 characters of A-Z a-z 0-9 - _. The secret you gave is not printed back.")
        {
            id, session.Service, file, value, showOld, grace,
        };
        update.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var secret = await ReadSecretAsync(session, parse.GetValue(value), parse.GetValue(file), ct);
            var client = session.Client(parse);

            // The SDK checks ClientSecretRules before sending; a broken rule comes back as a local error (exit code 2).
            var identifier = parse.GetRequiredValue(id);
            var result = await client.UpdateClientSecretAsync(serviceId, identifier, new ClientSecretUpdateRequest { ClientSecret = secret, GracePeriod = parse.GetValue(grace) }, ct);
            var show = parse.GetValue(showOld);
            return session.Print(parse, result, (o, r) => Show.Secret(o, r with { NewClientSecret = null }, show), show ? null : Withhold.Property("oldClientSecret"),
                ReadBackSecrets(identifier));
        }, ct));
        return update;
    }

    private static Command SecretRefresh(Session session)
    {
        var id = ClientIdentifier();
        var showOld = ShowOld();
        var grace = Grace();
        var refresh = new Command("refresh", "Replace a client's secret with a generated one (86 characters); prints the new secret, once") { id, session.Service, showOld, grace };
        refresh.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var identifier = parse.GetRequiredValue(id);
            var result = await session.Client(parse).RefreshClientSecretAsync(serviceId, identifier, parse.GetValue(grace), ct);
            var show = parse.GetValue(showOld);
            return session.Print(parse, result, (o, r) => Show.Secret(o, r, show), show ? null : Withhold.Property("oldClientSecret"), ReadBackSecrets(identifier));
        }, ct));
        return refresh;
    }

    private static Command SecretList(Session session)
    {
        var id = ClientIdentifier();
        var list = new Command("list", "List a client's secrets, newest first: status, times and hint, never the values") { id, session.Service };
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var result = await session.Client(parse).ListClientSecretsAsync(serviceId, parse.GetRequiredValue(id), ct);
            return session.Print(parse, result, Show.Secrets);
        }, ct));
        return list;
    }

    private static Command SecretRevoke(Session session)
    {
        var id = ClientIdentifier();
        var secretId = Id("secretId", "The secret's ID, from 'rekey secret list' (not the secret)", "an ID from 'rekey secret list'");
        var yes = Yes();
        var revoke = new Command("revoke", "Revoke a previous secret now, ending its grace period (the current secret cannot be revoked: update or refresh it)")
        {
            id, secretId, session.Service, yes,
        };
        revoke.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var identifier = parse.GetRequiredValue(id);
            var client = session.Client(parse);
            session.Confirm(parse, yes, $"This revokes secret {parse.GetValue(secretId)} of client {identifier}: it stops working now");
            var result = await client.RevokeClientSecretAsync(serviceId, identifier, parse.GetValue(secretId), ct);
            return session.Print(parse, result, Show.Result, readBack: $"the client's secrets (rekey secret list {identifier})");
        }, ct));
        return revoke;
    }

    /// <summary>
    /// The new secret from <c>--secret</c> (with a warning), <c>--secret-file</c>, the terminal (asked twice, not echoed;
    /// two different entries send nothing), or one line of standard input. With <paramref name="prompt"/> the terminal
    /// asks once, with that prompt: for a secret that exists already (a webhook's signing secret) there is no typo to
    /// catch by asking twice, a wrong one simply does not verify.
    /// </summary>
    private static async Task<string> ReadSecretAsync(Session session, string? value, FileInfo? file, CancellationToken ct, string? prompt = null)
    {
        if (value is not null && file is not null)
        {
            throw new UsageException("give the secret with --secret or --secret-file, not both.");
        }

        if (value is not null)
        {
            Human.Line(session.Error,
                "warning: --secret puts the secret in your shell history and the process list; pipe it on standard input or use --secret-file.");
            return value;
        }

        if (file is not null)
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync(file.FullName, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read --secret-file '{file}': {ex.Message}");
            }

            return StripNewline(text);
        }

        if (session.Terminal is { } terminal)
        {
            if (prompt is not null)
            {
                return terminal.ReadSecret(prompt) ?? throw new UsageException("no secret entered.");
            }

            var first = terminal.ReadSecret("New client secret (not shown): ") ?? throw new UsageException("no secret entered; nothing was sent.");
            var again = terminal.ReadSecret("Again, to confirm (not shown): ");
            return first == again ? first : throw new UsageException("the two entries differ; nothing was sent.");
        }

        return await session.In.ReadLineAsync(ct)
            ?? throw new UsageException("no secret on standard input: pipe one line into the command, or use --secret-file.");
    }

    private static string StripNewline(string text) =>
        text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2]
        : text.EndsWith('\n') ? text[..^1]
        : text;
}
