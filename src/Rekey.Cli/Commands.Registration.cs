using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

/// <summary><c>rekey registration token create|list|revoke</c>: a service's initial access tokens for dynamic client registration (RFC 7591, docs/oauth.md).</summary>
internal static partial class Commands
{
    private const string ReadBackInitialAccessTokens = "the initial access tokens (rekey registration token list)";

    private static Command Registration(Session session)
    {
        var token = new Command("token",
            "Manage the initial access tokens of the service given by --service: the bearer tokens clients present to register at " +
            "/oauth2/{serviceId}/register when the service's clientRegistrationPolicy is INITIAL_ACCESS_TOKEN (permission client.registration)")
        {
            InitialAccessTokenCreate(session), InitialAccessTokenList(session), InitialAccessTokenRevoke(session),
        };
        return new Command("registration", "Dynamic client registration (RFC 7591) of the service given by --service: its initial access tokens") { token };
    }

    private static Command InitialAccessTokenCreate(Session session)
    {
        var description = new Option<string>("--description") { Description = "What the token is for, at most 200 characters", HelpName = "text" };
        var expiresIn = Duration("--expires-in",
            "How long the token works: seconds, or with a unit (90s, 10m, 2h, 7d); 1 second to 365 days. Not given: until revoked");
        var singleUse = new Option<bool>("--single-use") { Description = "The token registers one client only" };
        var create = new Command("create", "Create an initial access token of the service given by --service; prints the token value, once")
        {
            session.Service, description, expiresIn, singleUse,
        };
        create.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var result = await session.Client(parse).CreateInitialAccessTokenAsync(serviceId, new InitialAccessTokenCreateRequest
            {
                Description = parse.GetValue(description),
                ExpiresIn = parse.GetValue(expiresIn),
                SingleUse = parse.GetValue(singleUse) ? true : null,
            }, ct);
            if (result.IsSuccess && !session.WantsJson(parse))
            {
                Human.Line(session.Error,
                    "note: the initial access token is shown this once; hand it to whoever registers clients now ('rekey registration token revoke' ends it).");
            }

            return session.Print(parse, result, Show.InitialAccessToken, readBack: ReadBackInitialAccessTokens);
        }, ct));
        return create;
    }

    private static Command InitialAccessTokenList(Session session)
    {
        var list = new Command("list", "List the initial access tokens of the service given by --service, oldest first (never their values)") { session.Service };
        var (start, end) = Paging(list);
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            return session.Print(parse, await session.Client(parse).ListInitialAccessTokensAsync(serviceId, parse.GetValue(start), parse.GetValue(end), ct),
                Show.InitialAccessTokens);
        }, ct));
        return list;
    }

    private static Command InitialAccessTokenRevoke(Session session)
    {
        var tokenId = Id("tokenId", "The token's ID (not its value), from 'rekey registration token list'", "an ID from 'rekey registration token list'");
        var yes = Yes();
        var revoke = new Command("revoke", "Revoke an initial access token: it registers no more clients; the clients it registered stay") { tokenId, session.Service, yes };
        revoke.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var id = parse.GetValue(tokenId);
            var client = session.Client(parse);
            session.Confirm(parse, yes, $"This revokes initial access token {id} of service {serviceId}: it registers no more clients");
            return session.Print(parse, await client.RevokeInitialAccessTokenAsync(serviceId, id, ct), $"Revoked initial access token {id} of service {serviceId}.", ReadBackInitialAccessTokens);
        }, ct));
        return revoke;
    }
}
