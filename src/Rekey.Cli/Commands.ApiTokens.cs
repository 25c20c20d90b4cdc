using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    private static Command ApiTokens(Session session)
    {
        var permission = new Option<string[]>("--permission")
        {
            Description = $"Permission to grant (repeatable): {string.Join(", ", Permissions.Grantable)}",
            HelpName = "permission",
            Required = true,
        };
        var description = new Option<string>("--description") { Description = "Free text for operators, at most 200 characters", HelpName = "text" };
        var create = new Command("create", "Create an API token for the one service given by --service (organisation token); prints the token value, once")
        {
            session.Service, permission, description,
        };
        create.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var id = session.ServiceId(parse);
            var result = await session.Client(parse).CreateApiTokenAsync(new ApiTokenCreateRequest
            {
                ServiceId = id,
                Permissions = parse.GetRequiredValue(permission).ToList(),
                Description = parse.GetValue(description),
            }, ct);
            if (result.IsSuccess && !session.WantsJson(parse))
            {
                Human.Line(session.Error, "note: the token is shown this once; store it now (or save it with 'rekey login --profile <name>').");
            }

            return session.Print(parse, result, Show.ApiToken, readBack: "the API tokens (rekey apitoken list)");
        }, ct));

        var list = new Command("list", "List API tokens (organisation token; never their values)");
        var (start, end) = Paging(list);
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var result = await session.Client(parse).ListApiTokensAsync(parse.GetValue(start), parse.GetValue(end), ct);
            return session.Print(parse, result, Show.ApiTokens);
        }, ct));

        var tokenId = Id("tokenId", "The token's ID (not its value), from 'rekey apitoken list'", "an ID from 'rekey apitoken list'");
        var yes = Yes();
        var delete = new Command("delete", "Delete an API token; it stops working at once (organisation token)") { tokenId, yes };
        delete.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var id = parse.GetValue(tokenId);
            var client = session.Client(parse);
            session.Confirm(parse, yes, $"This deletes API token {id}: whatever uses it stops working now");
            return session.Print(parse, await client.DeleteApiTokenAsync(id, ct), $"Deleted API token {id}.", "the API tokens (rekey apitoken list)");
        }, ct));

        return new Command("apitoken", "Manage API tokens (organisation token)") { create, list, delete };
    }
}
