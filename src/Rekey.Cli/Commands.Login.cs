using System.CommandLine;
using Rekey.Sdk;

namespace Rekey.Cli;

internal static partial class Commands
{
    /// <summary>
    /// <c>rekey login</c>: checks a token against the server and saves it with the address (and a service) as a profile
    /// of the config file. The token comes from the terminal (not echoed) or one line of standard input, never from an
    /// argument unless <c>--token</c> is forced (with a warning), and is never printed.
    /// </summary>
    private static Command Login(Session session)
    {
        var login = new Command("login",
            "Save a server address and token (and optionally a service) as a profile, after checking the token against the server. " +
            "The token is asked for without echo on a terminal, else read as one line of standard input: rekey login --url URL < token-file")
        {
            session.Service,
        };
        login.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var config = session.Config;
            var name = session.ProfileName(parse) ?? config.Default ?? ConfigFile.DefaultProfile;
            var existing = config.Profiles.GetValueOrDefault(name);
            var url = parse.GetValue(session.Url) ?? session.Env(Session.UrlVariable) ?? existing?.Url ?? RekeyCli.DefaultUrl;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var baseAddress) || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
            {
                throw new UsageException($"--url '{url}' is not an absolute http or https URL.");
            }

            var serviceText = parse.GetValue(session.Service) ?? existing?.Service;
            if (serviceText is not null)
            {
                Session.ParseId(serviceText, "--service", "");
            }

            var token = ReadToken(session, parse, baseAddress);
            var client = session.Connect(parse, baseAddress, token);

            // Any call the token may make would do; listing one service is allowed to every token. Only a refusal of the
            // token itself (401) stops the login: a token without service.read is still a valid token.
            var check = await client.ListServicesAsync(0, 1, ct);
            if (!check.IsSuccess && (check.Error.Kind != RekeyErrorKind.Refused || check.Error.HttpStatus == 401))
            {
                session.Fail(parse, check.Error);
                Human.Line(session.Error, $"note: nothing was saved to {session.ConfigFile.Path}.");
                return check.Error.Kind == RekeyErrorKind.Refused ? ExitCodes.Refused : ExitCodes.Failure;
            }

            var profiles = new Dictionary<string, Profile>(config.Profiles, StringComparer.Ordinal)
            {
                [name] = new Profile { Url = baseAddress.ToString(), Token = token, Service = serviceText },
            };
            session.ConfigFile.Write(config with { Default = config.Default ?? name, Profiles = profiles });
            Human.Line(session.Out, $"Logged in to {baseAddress} as profile '{name}'" + (serviceText is null ? "" : $", service {serviceText}") +
                $"; saved in {session.ConfigFile.Path}.");
            return ExitCodes.Success;
        }, ct));
        return login;
    }

    private static string ReadToken(Session session, ParseResult parse, Uri baseAddress)
    {
        if (parse.GetValue(session.Token) is { } given)
        {
            Human.Line(session.Error, "warning: --token puts the token in your shell history and the process list; pipe it on standard input instead.");
            return given;
        }

        var token = session.Terminal is { } terminal
            ? terminal.ReadSecret(TerminalText.Escape($"Token for {baseAddress} (not shown): "))
            : session.In.ReadLine();
        token = token?.Trim();
        return string.IsNullOrEmpty(token)
            ? throw new UsageException("no token: type it at the prompt or pipe it on standard input (rekey login < token-file).")
            : token;
    }

    private static Command Logout(Session session)
    {
        var logout = new Command("logout", "Remove a profile and its token from the config file (--profile, else the default profile)");
        logout.SetAction((parse, ct) => session.RunAsync(parse, _ =>
        {
            var config = session.Config;
            var name = session.ProfileName(parse) ?? config.Default ?? ConfigFile.DefaultProfile;
            if (!config.Profiles.ContainsKey(name))
            {
                throw new UsageException($"no profile '{name}' in {session.ConfigFile.Path ?? "the config file"}.");
            }

            var profiles = new Dictionary<string, Profile>(config.Profiles, StringComparer.Ordinal);
            profiles.Remove(name);
            session.ConfigFile.Write(config with { Default = config.Default == name ? null : config.Default, Profiles = profiles });
            Human.Line(session.Out, $"Removed profile '{name}' and its token from {session.ConfigFile.Path}.");
            return Task.FromResult(ExitCodes.Success);
        }, ct));
        return logout;
    }

    private static Command ConfigCommand(Session session)
    {
        var show = new Command("list", "Show the profiles (tokens masked) and which one is the default");
        show.SetAction((parse, ct) => session.RunAsync(parse, _ =>
        {
            var config = session.Config;
            Human.Line(session.Out, $"config file: {session.ConfigFile.Path ?? "(none: HOME is not set)"}");
            Human.Table(session.Out, ["PROFILE", "DEFAULT", "URL", "SERVICE", "TOKEN"],
                config.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new[]
                {
                    p.Key, p.Key == (config.Default ?? ConfigFile.DefaultProfile) ? "*" : "", p.Value.Url, p.Value.Service, TerminalText.Mask(p.Value.Token),
                }));
            return Task.FromResult(ExitCodes.Success);
        }, ct));

        var name = new Argument<string>("profile") { Description = "The profile to use when none is named" };
        var use = new Command("use", "Make a profile the default") { name };
        use.SetAction((parse, ct) => session.RunAsync(parse, _ =>
        {
            var config = session.Config;
            var profile = parse.GetRequiredValue(name);
            if (!config.Profiles.ContainsKey(profile))
            {
                throw new UsageException($"no profile '{profile}' in {session.ConfigFile.Path ?? "the config file"}: run 'rekey login --profile {profile}'.");
            }

            session.ConfigFile.Write(config with { Default = profile });
            Human.Line(session.Out, $"Default profile: '{profile}'.");
            return Task.FromResult(ExitCodes.Success);
        }, ct));

        var config = new Command("config", "Show the profiles saved by 'rekey login' (the same as 'rekey config list'), or choose the default one") { show, use };
        config.Action = show.Action;
        return config;
    }
}
