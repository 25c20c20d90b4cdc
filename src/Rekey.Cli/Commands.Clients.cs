using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    private static readonly string[] ClientTypes = ["CONFIDENTIAL", "PUBLIC"];

    private static Command Clients(Session session)
    {
        return new Command("client", "Manage the clients of the service given by --service")
        {
            ClientCreate(session), ClientGet(session), ClientList(session), ClientUpdate(session), ClientDelete(session),
            ClientLock(session, "lock", locked: true), ClientLock(session, "unlock", locked: false),
        };
    }

    /// <summary>The document options shared by create and update.</summary>
    private sealed class ClientFields
    {
        public Option<string> Name { get; } = new("--name") { Description = "Client name (clientName)", HelpName = "name" };
        public Option<string> Alias { get; } = new("--alias") { Description = "Client ID alias, unique in the service; \"\" removes it (update)", HelpName = "alias" };
        public Option<string> Type { get; } = new("--type") { Description = "Client type: CONFIDENTIAL (default) or PUBLIC", HelpName = "type" };
        public Option<string[]> GrantTypes { get; } = new("--grant-type") { Description = "Grant type, e.g. CLIENT_CREDENTIALS (repeatable; replaces the list)", HelpName = "grant" };
        public Option<string[]> RedirectUris { get; } = new("--redirect-uri") { Description = "Redirect URI (repeatable; replaces the list)", HelpName = "uri" };
        public Option<string> Developer { get; } = new("--developer") { Description = "Developer the client belongs to; \"\" removes it (update)", HelpName = "name" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Name, Alias, Type, GrantTypes, RedirectUris, Developer })
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The document with the given options applied; options not given keep <paramref name="document"/>'s values.</summary>
        public ClientDocument Apply(ParseResult parse, ClientDocument document)
        {
            var type = parse.GetValue(Type)?.ToUpperInvariant();
            if (type is not null && !ClientTypes.Contains(type))
            {
                throw new UsageException($"--type must be one of {string.Join(", ", ClientTypes)}.");
            }

            return document with
            {
                ClientName = Text(parse.GetValue(Name), document.ClientName),
                ClientIdAlias = Text(parse.GetValue(Alias), document.ClientIdAlias),
                ClientType = type ?? document.ClientType,
                GrantTypes = parse.GetValue(GrantTypes) is { Length: > 0 } grants ? grants.Select(g => g.ToUpperInvariant()).ToList() : document.GrantTypes,
                RedirectUris = parse.GetValue(RedirectUris) is { Length: > 0 } uris ? uris.ToList() : document.RedirectUris,
                Developer = Text(parse.GetValue(Developer), document.Developer),
            };
        }
    }

    /// <summary>What to read back after a client change whose outcome the server could not tell (A000104).</summary>
    private static string ReadBackClient(string identifier) => $"the client (rekey client get {identifier})";

    private static Option<bool> ShowSecret() => new("--show-secret") { Description = "Also print the current client secret" };

    private static Command ClientCreate(Session session)
    {
        var fields = new ClientFields();
        fields.Name.Required = true;
        var create = new Command("create", "Create a client; prints its client ID and its first secret");
        fields.AddTo(create);
        create.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var document = fields.Apply(parse, new ClientDocument());
            var result = await session.Client(parse).CreateClientAsync(serviceId, document, ct);
            return session.Print(parse, result, (o, c) => Show.Client(o, c, showSecret: true), readBack: "the clients (rekey client list)");
        }, ct));
        return create;
    }

    private static Command ClientGet(Session session)
    {
        var id = ClientIdentifier();
        var showSecret = ShowSecret();
        var get = new Command("get", "Show a client (without its secret unless --show-secret)") { id, showSecret };
        get.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var result = await session.Client(parse).GetClientAsync(serviceId, parse.GetRequiredValue(id), ct);
            var show = parse.GetValue(showSecret);
            return session.Print(parse, result, (o, c) => Show.Client(o, c, show), show ? null : Withhold.Property("clientSecret"));
        }, ct));
        return get;
    }

    private static Command ClientList(Session session)
    {
        var developer = new Option<string>("--developer") { Description = "Only the clients of this developer", HelpName = "name" };
        var start = Start();
        var end = End();
        var showSecret = ShowSecret();
        var list = new Command("list", "List clients (no secrets unless --show-secret)") { developer, start, end, showSecret };
        list.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var result = await session.Client(parse).ListClientsAsync(serviceId, parse.GetValue(developer), Session.Index(parse, start), Session.Index(parse, end), ct);
            var show = parse.GetValue(showSecret);
            return session.Print(parse, result, (o, l) => Show.Clients(o, l, show), show ? null : Withhold.InEach("clients", "clientSecret"));
        }, ct));
        return list;
    }

    private static Command ClientUpdate(Session session)
    {
        var id = ClientIdentifier();
        var fields = new ClientFields();
        var showSecret = ShowSecret();
        var update = new Command("update", "Change a client: reads its document, changes the given fields, replaces it") { id, showSecret };
        fields.AddTo(update);
        update.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var client = session.Client(parse);
            var identifier = parse.GetRequiredValue(id);
            var current = await client.GetClientAsync(serviceId, identifier, ct);
            if (!current.IsSuccess)
            {
                return session.Fail(current.Error);
            }

            // The secret is read-only in a client document; it is not sent back.
            var changed = fields.Apply(parse, current.Value with { ClientSecret = null });
            var result = await client.UpdateClientAsync(serviceId, identifier, changed, ct);
            var show = parse.GetValue(showSecret);
            return session.Print(parse, result, (o, c) => Show.Client(o, c, show), show ? null : Withhold.Property("clientSecret"), ReadBackClient(identifier));
        }, ct));
        return update;
    }

    private static Command ClientDelete(Session session)
    {
        var id = ClientIdentifier();
        var delete = new Command("delete", "Delete a client with its secrets") { id };
        delete.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var identifier = parse.GetRequiredValue(id);
            var result = await session.Client(parse).DeleteClientAsync(serviceId, identifier, ct);
            return session.Print(parse, result, $"Deleted client {identifier} of service {serviceId}.", ReadBackClient(identifier));
        }, ct));
        return delete;
    }

    private static Command ClientLock(Session session, string name, bool locked)
    {
        var id = ClientIdentifier();
        var command = new Command(name, locked ? "Lock a client: it can no longer authenticate" : "Unlock a client") { id };
        command.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var identifier = parse.GetRequiredValue(id);
            var result = await session.Client(parse).UpdateClientLockFlagAsync(serviceId, identifier, new ClientFlagUpdateRequest { ClientLocked = locked }, ct);
            return session.Print(parse, result, Show.Result, readBack: ReadBackClient(identifier));
        }, ct));
        return command;
    }
}
