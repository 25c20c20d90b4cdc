using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    private static Command Clients(Session session)
    {
        return new Command("client", "Manage the clients of the service given by --service")
        {
            ClientCreate(session), ClientGet(session), ClientList(session), ClientUpdate(session), ClientDelete(session),
            ClientLock(session, "lock", locked: true), ClientLock(session, "unlock", locked: false),
        };
    }

    /// <summary>The document options shared by create and update; <paramref name="update"/> only changes the descriptions.</summary>
    private sealed class ClientFields(bool update)
    {
        private readonly string _removes = update ? "; \"\" removes it" : "";
        private readonly string _replaces = update ? "; replaces the list, \"\" empties it" : "";

        public Option<string> Name => field ??= new("--name") { Description = "Client name (clientName)", HelpName = "name", Required = !update };

        public Option<string> Alias => field ??= new("--alias") { Description = "Client ID alias (clientIdAlias), unique in the service" + _removes, HelpName = "alias" };

        public Option<string> Type => field ??= Choice("--client-type", "Client type (clientType): CONFIDENTIAL (the default) or PUBLIC", ["CONFIDENTIAL", "PUBLIC"], "--type");

        public Option<string> ApplicationType => field ??= Choice("--application-type", "Application type (applicationType): WEB or NATIVE" + (update ? "; none removes it" : ""),
            update ? ["WEB", "NATIVE", "none"] : ["WEB", "NATIVE"]);

        public Option<string[]> GrantTypes => field ??= Words("--grant-type", "Grant type (grantTypes), e.g. CLIENT_CREDENTIALS; repeatable or comma-separated" + _replaces, "grant",
            ["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS", "REFRESH_TOKEN", "PASSWORD", "IMPLICIT", "DEVICE_CODE", "TOKEN_EXCHANGE", "JWT_BEARER", "CIBA"]);

        public Option<string[]> ResponseTypes => field ??= Words("--response-type", "Response type (responseTypes), e.g. CODE; repeatable or comma-separated" + _replaces, "type",
            ["NONE", "CODE", "TOKEN", "ID_TOKEN", "CODE_TOKEN", "CODE_ID_TOKEN", "ID_TOKEN_TOKEN", "CODE_ID_TOKEN_TOKEN"]);

        public Option<string[]> RedirectUris => field ??= new("--redirect-uri") { Description = "Redirect URI (redirectUris); repeatable or comma-separated" + _replaces, HelpName = "uri" };

        public Option<string> TokenAuthMethod => field ??= Choice("--token-auth-method",
            "How the client authenticates at the token endpoint (tokenAuthMethod): CLIENT_SECRET_BASIC (the default), CLIENT_SECRET_POST, NONE (the default for PUBLIC), …",
            ["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "NONE", "CLIENT_SECRET_JWT", "PRIVATE_KEY_JWT", "TLS_CLIENT_AUTH", "SELF_SIGNED_TLS_CLIENT_AUTH"]);

        public Option<string> Developer => field ??= new("--developer") { Description = "Developer the client belongs to (developer)" + _removes, HelpName = "name" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Name, Alias, Type, ApplicationType, GrantTypes, ResponseTypes, RedirectUris, TokenAuthMethod, Developer })
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The document with the given options applied; options not given keep <paramref name="document"/>'s values.</summary>
        public ClientDocument Apply(ParseResult parse, ClientDocument document) => document with
        {
            ClientName = Text(parse.GetValue(Name), document.ClientName),
            ClientIdAlias = Text(parse.GetValue(Alias), document.ClientIdAlias),
            ClientType = parse.GetValue(Type) ?? document.ClientType,
            ApplicationType = parse.GetValue(ApplicationType) is { } type ? (type == "none" ? null : type) : document.ApplicationType,
            GrantTypes = Commands.Words(parse, GrantTypes, upper: true) ?? document.GrantTypes,
            ResponseTypes = Commands.Words(parse, ResponseTypes, upper: true) ?? document.ResponseTypes,
            RedirectUris = Commands.Words(parse, RedirectUris) ?? document.RedirectUris,
            TokenAuthMethod = parse.GetValue(TokenAuthMethod) ?? document.TokenAuthMethod,
            Developer = Text(parse.GetValue(Developer), document.Developer),
        };

        private static Option<string[]> Words(string name, string description, string helpName, string[] known)
        {
            var option = new Option<string[]>(name) { Description = description, HelpName = helpName };
            option.CompletionSources.Add(known);
            return option;
        }
    }

    /// <summary>What to read back after a client change whose outcome the server could not tell (A000104).</summary>
    private static string ReadBackClient(string identifier) => $"the client (rekey client get {identifier})";

    private static Option<bool> ShowSecret() => new("--show-secret") { Description = "Also print the current client secret" };

    private static Command ClientCreate(Session session)
    {
        var fields = new ClientFields(update: false);
        var create = new Command("create", "Create a client in the service given by --service; prints it with its client ID and its first secret") { session.Service };
        fields.AddTo(create);
        create.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
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
        var get = new Command("get", "Show a client (without its secret unless --show-secret)") { id, session.Service, showSecret };
        get.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
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
        var showSecret = ShowSecret();
        var list = new Command("list", "List clients (no secrets unless --show-secret)") { session.Service, developer, showSecret };
        var (start, end) = Paging(list);
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var result = await session.Client(parse).ListClientsAsync(serviceId, parse.GetValue(developer), parse.GetValue(start), parse.GetValue(end), ct);
            var show = parse.GetValue(showSecret);
            return session.Print(parse, result, (o, l) => Show.Clients(o, l, show), show ? null : Withhold.InEach("clients", "clientSecret"));
        }, ct));
        return list;
    }

    private static Command ClientUpdate(Session session)
    {
        var id = ClientIdentifier();
        var fields = new ClientFields(update: true);
        var showSecret = ShowSecret();
        var update = new Command("update",
            "Change the settings given, keep the others: reads the client, applies the options, writes the whole document back " +
            "(properties rekey has no option for, extensions included, are kept as they are)") { id, session.Service, showSecret };
        fields.AddTo(update);
        update.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var client = session.Client(parse);
            var identifier = parse.GetRequiredValue(id);
            var current = await client.GetClientAsync(serviceId, identifier, ct);
            if (!current.IsSuccess)
            {
                return session.Fail(parse, current.Error);
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
        var yes = Yes();
        var delete = new Command("delete", "Delete a client with its secrets") { id, session.Service, yes };
        delete.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var identifier = parse.GetRequiredValue(id);
            var client = session.Client(parse);
            session.Confirm(parse, yes, $"This deletes client {identifier} of service {serviceId} with its secrets");
            var result = await client.DeleteClientAsync(serviceId, identifier, ct);
            return session.Print(parse, result, $"Deleted client {identifier} of service {serviceId}.", ReadBackClient(identifier));
        }, ct));
        return delete;
    }

    private static Command ClientLock(Session session, string name, bool locked)
    {
        var id = ClientIdentifier();
        var command = new Command(name, locked ? "Lock a client: it can no longer authenticate" : "Unlock a client") { id, session.Service };
        command.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var identifier = parse.GetRequiredValue(id);
            var result = await session.Client(parse).UpdateClientLockFlagAsync(serviceId, identifier, new ClientFlagUpdateRequest { ClientLocked = locked }, ct);
            return session.Print(parse, result, Show.Result, readBack: ReadBackClient(identifier));
        }, ct));
        return command;
    }
}
