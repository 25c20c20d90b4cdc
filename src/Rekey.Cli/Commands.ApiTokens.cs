using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    private static Command ApiTokens(Session session)
    {
        var serviceId = new Option<string>("--service-id") { Description = "The one service the token may act on (default: --service)", HelpName = "id" };
        var permission = new Option<string[]>("--permission")
        {
            Description = $"Permission to grant (repeatable): {string.Join(", ", Permissions.Grantable)}",
            HelpName = "permission",
            Required = true,
        };
        var description = new Option<string>("--description") { Description = "Free text for operators, at most 200 characters", HelpName = "text" };
        var create = new Command("create", "Create an API token (organisation token); prints the token value, once") { serviceId, permission, description };
        create.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var id = parse.GetValue(serviceId) is { } given ? Session.ParseId(given, "--service-id", "") : session.ServiceId(parse);
            var result = await session.Client(parse).CreateApiTokenAsync(new ApiTokenCreateRequest
            {
                ServiceId = id,
                Permissions = parse.GetRequiredValue(permission).ToList(),
                Description = parse.GetValue(description),
            }, ct);
            if (result.IsSuccess && !session.WantsJson(parse))
            {
                Human.Line(session.Error, "note: the token is shown this once; store it now.");
            }

            return session.Print(parse, result, Show.ApiToken, readBack: "the API tokens (rekey apitoken list)");
        }, ct));

        var start = Start();
        var end = End();
        var list = new Command("list", "List API tokens (organisation token; never their values)") { start, end };
        list.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var result = await session.Client(parse).ListApiTokensAsync(Session.Index(parse, start), Session.Index(parse, end), ct);
            return session.Print(parse, result, Show.ApiTokens);
        }, ct));

        var tokenId = new Argument<long>("tokenId") { Description = "The token's ID (not its value)" };
        var delete = new Command("delete", "Delete an API token; it stops working at once (organisation token)") { tokenId };
        delete.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var id = parse.GetValue(tokenId);
            return session.Print(parse, await session.Client(parse).DeleteApiTokenAsync(id, ct), $"Deleted API token {id}.", "the API tokens (rekey apitoken list)");
        }, ct));

        return new Command("apitoken", "Manage API tokens (organisation token)") { create, list, delete };
    }
}
