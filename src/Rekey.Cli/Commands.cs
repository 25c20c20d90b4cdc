using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Rekey.Cli;

/// <summary>The command tree. Each resource's commands are in their own file.</summary>
internal static partial class Commands
{
    /// <summary>
    /// The root is a plain command named <c>rekey</c> (a <see cref="RootCommand"/> would take its name from the
    /// executable, <c>Rekey.Cli</c>), with the help and version options a root command has. The <c>[suggest]</c>
    /// directive a root command would answer is answered by <see cref="RekeyCli"/>.
    /// </summary>
    public static Command Build(Session session)
    {
        var root = new Command("rekey",
            "rekey: manage Rekey services, clients, client secrets, API tokens, webhooks and initial access tokens; read the audit trail; rotate encryption and signing keys.\n" +
            $"Connection: --url, {Session.UrlVariable}, or the profile saved by 'rekey login' (default {RekeyCli.DefaultUrl}); the token likewise " +
            $"(--token, {Session.TokenVariable}, profile); --service, {Session.ServiceVariable}, profile. Flags win over variables, variables over the profile.\n" +
            "Errors go to standard error as 'error: <resultCode> <resultMessage>' (a JSON object with --json).\n" +
            ExitCodes.Help)
        {
            Login(session), Logout(session), ConfigCommand(session),
            Services(session),
            Clients(session),
            Secrets(session),
            ApiTokens(session),
            Webhooks(session),
            Registration(session),
            Audit(session),
            Keys(session),
            SigningKey(session),
            Completion(session),
            VersionCommand(session),
        };
        session.Output.Recursive = true;
        foreach (var option in new Option[] { session.Url, session.Token, session.Profile, session.Output, session.Json, session.Timeout, session.CaCert, session.Insecure })
        {
            root.Options.Add(option);
        }

        root.Options.Add(new HelpOption("--help", "-h", "-?"));
        root.Options.Add(new VersionOption { Action = new PrintVersion() });
        root.Subcommands.Add(HelpCommand(root, session));
        return root;
    }

    private sealed class PrintVersion : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Session.Version);
            return ExitCodes.Success;
        }
    }

    private static Command VersionCommand(Session session)
    {
        var version = new Command("version", "Print the version of rekey");
        version.SetAction(_ =>
        {
            session.Out.WriteLine(Session.Version);
            return ExitCodes.Success;
        });
        return version;
    }

    /// <summary><c>rekey help [command…]</c>: the same as <c>rekey [command…] --help</c>.</summary>
    private static Command HelpCommand(Command root, Session session)
    {
        var path = new Argument<string[]>("command") { Description = "The command to describe, e.g. 'client create'", Arity = ArgumentArity.ZeroOrMore };
        var help = new Command("help", "Show help for a command (the same as --help)") { path };
        help.SetAction(parse => root.Parse([.. parse.GetValue(path) ?? [], "--help"]).Invoke(new InvocationConfiguration { Output = session.Out, Error = session.Error }));
        return help;
    }

    /// <summary>An option that takes one of a few words (case-insensitive); the words are offered by completion.</summary>
    internal static Option<string> Choice(string name, string description, string[] words, params string[] aliases)
    {
        var option = new Option<string>(name, aliases)
        {
            Description = description,
            HelpName = words.Length <= 3 ? string.Join('|', words) : name.TrimStart('-'),
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                var word = words.FirstOrDefault(w => string.Equals(w, text, StringComparison.OrdinalIgnoreCase));
                if (word is null)
                {
                    r.AddError($"{name} must be one of {string.Join(", ", words)}, got '{text}'.");
                }

                return word;
            },
        };
        option.CompletionSources.Add(words);
        return option;
    }

    /// <summary>A whole number ≥ 0 from an option's or argument's token, or an error in plain words.</summary>
    internal static long? WholeNumber(ArgumentResult r, string what)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        r.AddError($"{NameOf(r)} must be {what}, got '{text}'.");
        return null;
    }

    private static string NameOf(ArgumentResult r) => r.Parent is OptionResult option ? option.Option.Name : r.Argument.Name;

    /// <summary>
    /// A duration in seconds: <c>600</c>, or with a unit, <c>90s</c>, <c>10m</c>, <c>2h</c>, <c>7d</c>.
    /// </summary>
    internal static Option<long?> Duration(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "seconds",
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
            var (digits, unit) = text.Length > 1 && char.IsLetter(text[^1]) ? (text[..^1], char.ToLowerInvariant(text[^1])) : (text, 's');
            long multiplier = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86_400, _ => 0 };
            if (multiplier > 0 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= long.MaxValue / multiplier)
            {
                return value * multiplier;
            }

            r.AddError($"{name} must be a whole number of seconds (or with a unit: 90s, 10m, 2h, 7d), got '{text}'.");
            return null;
        },
    };

    /// <summary>--start and --end of a list command, with the check that the page is not backwards.</summary>
    private static (Option<int?> Start, Option<int?> End) Paging(Command command)
    {
        Option<int?> start = new("--start") { Description = "First index, inclusive (server default 0)", HelpName = "n", CustomParser = Index };
        Option<int?> end = new("--end") { Description = "Last index, exclusive (server default 5, at most 1000 per page)", HelpName = "n", CustomParser = Index };
        command.Options.Add(start);
        command.Options.Add(end);
        command.Validators.Add(r =>
        {
            // The values as typed: a malformed one has its own error already.
            if (Typed(r.GetResult(start)) is { } from && Typed(r.GetResult(end)) is { } to && to < from)
            {
                r.AddError($"--end {to} is less than --start {from}: the page would be empty.");
            }
        });
        return (start, end);

        static long? Typed(OptionResult? o) =>
            o?.Tokens is [.., var token] && long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

        static int? Index(ArgumentResult r) => WholeNumber(r, "a whole number, 0 or more") is { } n && n <= int.MaxValue ? (int)n : null;
    }

    /// <summary>A numeric ID argument (a secret's, a token's).</summary>
    private static Argument<long> Id(string name, string description, string where) => new(name)
    {
        Description = description,
        CustomParser = r => WholeNumber(r, $"a number ({where}), not a name or a secret") ?? 0,
    };

    private static Argument<string> ClientIdentifier() => new("clientIdentifier") { Description = "Numeric client ID or client ID alias" };

    /// <summary><c>--yes</c> of a command that destroys something; see <see cref="Session.Confirm"/>.</summary>
    private static Option<bool> Yes() => new("--yes", "-y") { Description = "Do not ask for confirmation (required when standard input is not a terminal)" };

    /// <summary>An empty string given for a text option means "remove the value".</summary>
    private static string? Text(string? value, string? current) => value is null ? current : value.Length == 0 ? null : value;

    /// <summary>Values of a repeatable option, each possibly a comma-separated list; <see langword="null"/> when not given.</summary>
    private static List<string>? Words(ParseResult parse, Option<string[]> option, bool upper = false) =>
        parse.GetResult(option) is null ? null
        : [.. (parse.GetValue(option) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => upper ? v.ToUpperInvariant() : v)];
}
