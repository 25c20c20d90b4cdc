using System.CommandLine;
using System.CommandLine.Help;

namespace Rekey.Cli;

/// <summary>The command tree. Each resource's commands are in their own file.</summary>
internal static partial class Commands
{
    /// <summary>
    /// The root is a plain command named <c>rekey</c> (a <see cref="RootCommand"/> would take its name from the
    /// executable, <c>Rekey.Cli</c>), with the help and version options a root command has.
    /// </summary>
    public static Command Build(Session session)
    {
        var root = new Command("rekey",
            "rekey: manage Rekey services, clients, client secrets and API tokens; read the audit trail; rotate encryption and signing keys.\n" +
            $"Configuration: --url or {Session.UrlVariable} (default {RekeyCli.DefaultUrl}), --token or {Session.TokenVariable}, " +
            $"--service or {Session.ServiceVariable}.\n" +
            "Errors go to standard error as 'error: <resultCode> <resultMessage>'.\n" +
            ExitCodes.Help)
        {
            Services(session),
            Clients(session),
            Secrets(session),
            ApiTokens(session),
            Audit(session),
            Keys(session),
            SigningKey(session),
        };
        root.Options.Add(session.Url);
        root.Options.Add(session.Token);
        root.Options.Add(session.Service);
        root.Options.Add(session.Json);
        root.Options.Add(session.Timeout);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }

    private static Option<int?> Start() => new("--start") { Description = "First index, inclusive (server default 0)", HelpName = "n" };

    private static Option<int?> End() => new("--end") { Description = "Last index, exclusive (server default 5, at most 1000 per page)", HelpName = "n" };

    private static Argument<string> ClientIdentifier() => new("clientIdentifier") { Description = "Numeric client ID or client ID alias" };

    /// <summary>An empty string given for a text option means "remove the value".</summary>
    private static string? Text(string? value, string? current) => value is null ? current : value.Length == 0 ? null : value;
}
