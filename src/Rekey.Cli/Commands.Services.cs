using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    /// <summary>The settings of a service document, shared by create and update.</summary>
    private sealed class ServiceFields(bool update)
    {
        public Option<string> Name { get; } = new("--name") { Description = "Service name (serviceName), 1 to 200 characters", HelpName = "name", Required = !update };

        public Option<string> Issuer { get; } = new("--issuer")
        {
            Description = "Issuer identifier (issuer): absolute https URL, http only for localhost. Stored and returned, but tokens carry the " +
                "issuer derived from Rekey:PublicBaseUrl (see docs/oauth.md)" + (update ? "; \"\" removes it" : ""),
            HelpName = "url",
        };

        public Option<long?> Grace { get; } = Duration("--grace",
            "Seconds a replaced secret stays valid after an update or refresh (clientSecretGracePeriod; 0: it stops at once; at most 30 days)");

        public Option<long?> SecretLifetime { get; } = Duration("--secret-lifetime",
            "Seconds a new client secret is valid (clientSecretLifetime; 0: no expiry; at most 10 years)");

        public Option<long?> AccessTokenDuration { get; } = Duration("--access-token-duration",
            "Lifetime of access tokens from the token endpoint (accessTokenDuration; 0: the default, 3600; at most 7 days)");

        public Option<string[]> Scopes { get; } = new("--scope")
        {
            Description = "A scope clients may request (supportedScopes); repeatable or comma-separated" + (update ? "; replaces the list, \"\" empties it" : ""),
            HelpName = "name",
        };

        public Option<string[]> DefaultScopes { get; } = new("--default-scope")
        {
            Description = "A scope granted when a client asks for none (defaultEntry; added to the scopes if missing); repeatable or comma-separated",
            HelpName = "name",
        };

        public Option<string> SecretFormat { get; } = Choice("--secret-format", SecretFormats.All,
            "Format of the secrets Rekey generates (clientSecretFormat): AUTHLETE (86 characters of base64url) or IDENTIFIABLE (a prefix and a checksum secret scanners recognise; docs/leaks.md)");

        public Option<string> LeakResponse { get; } = Choice("--leak-response", LeakResponses.All,
            "What a report of a live secret as leaked does (leakResponse): REVOKE (replace a current secret, lock the client), LOCK or NOTIFY");

        public Option<string> RegistrationPolicy { get; } = Choice("--registration-policy", ClientRegistrationPolicies.All,
            "Who may register clients at /oauth2/{serviceId}/register (clientRegistrationPolicy): CLOSED, OPEN or INITIAL_ACCESS_TOKEN (rekey registration token create; docs/oauth.md)");

        private static Option<string> Choice(string name, IReadOnlyList<string> values, string description)
        {
            var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', values) };
            option.AcceptOnlyFromAmong([.. values]);
            return option;
        }

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Name, Issuer, Grace, SecretLifetime, AccessTokenDuration, Scopes, DefaultScopes, SecretFormat, LeakResponse, RegistrationPolicy })
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The document with the given options applied; options not given keep <paramref name="document"/>'s values.</summary>
        public ServiceDocument Apply(ParseResult parse, ServiceDocument document) => document with
        {
            ServiceName = Text(parse.GetValue(Name), document.ServiceName),
            Issuer = Text(parse.GetValue(Issuer), document.Issuer),
            ClientSecretGracePeriod = parse.GetValue(Grace) ?? document.ClientSecretGracePeriod,
            ClientSecretLifetime = parse.GetValue(SecretLifetime) ?? document.ClientSecretLifetime,
            AccessTokenDuration = parse.GetValue(AccessTokenDuration) ?? document.AccessTokenDuration,
            SupportedScopes = ApplyScopes(Words(parse, Scopes), Words(parse, DefaultScopes), document.SupportedScopes),
            ClientSecretFormat = parse.GetValue(SecretFormat) ?? document.ClientSecretFormat,
            LeakResponse = parse.GetValue(LeakResponse) ?? document.LeakResponse,
            ClientRegistrationPolicy = parse.GetValue(RegistrationPolicy) ?? document.ClientRegistrationPolicy,
        };

        /// <summary>
        /// The scope list: <c>--scope</c> replaces the names (a kept name keeps its description and other properties);
        /// <c>--default-scope</c> marks exactly the given names as default entries, adding the missing ones.
        /// </summary>
        private static List<ServiceScope>? ApplyScopes(List<string>? names, List<string>? defaults, List<ServiceScope>? current)
        {
            if (names is null && defaults is null)
            {
                return current;
            }

            var byName = (current ?? []).Where(s => s.Name is not null).GroupBy(s => s.Name!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var scopes = names is null ? [.. current ?? []] : names.Distinct(StringComparer.Ordinal).Select(n => byName.GetValueOrDefault(n) ?? new ServiceScope { Name = n }).ToList();
            if (defaults is not null)
            {
                scopes.AddRange(defaults.Distinct(StringComparer.Ordinal).Where(d => !scopes.Any(s => s.Name == d)).Select(d => new ServiceScope { Name = d }));
                scopes = [.. scopes.Select(s => s with { DefaultEntry = defaults.Contains(s.Name ?? "", StringComparer.Ordinal) })];
            }

            return scopes;
        }
    }

    private static Command Services(Session session)
    {
        var fields = new ServiceFields(update: false);
        var create = new Command("create", "Create a service (organisation token); prints it, with its ID (serviceId, the apiKey)");
        fields.AddTo(create);
        create.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var result = await session.Client(parse).CreateServiceAsync(fields.Apply(parse, new ServiceDocument()), ct);
            return session.Print(parse, result, Show.Service, readBack: "the services (rekey service list)");
        }, ct));

        var get = new Command("get", "Show the service given by --service") { session.Service };
        get.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            return session.Print(parse, await session.Client(parse).GetServiceAsync(serviceId, ct), Show.Service);
        }, ct));

        var list = new Command("list", "List the services the token can see");
        var (start, end) = Paging(list);
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var result = await session.Client(parse).ListServicesAsync(parse.GetValue(start), parse.GetValue(end), ct);
            return session.Print(parse, result, Show.Services);
        }, ct));

        var changes = new ServiceFields(update: true);
        var update = new Command("update",
            "Change the settings given, keep the others: reads the service, applies the options, writes the whole document back " +
            "(properties rekey has no option for are kept as they are)") { session.Service };
        changes.AddTo(update);
        update.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var client = session.Client(parse);
            var current = await client.GetServiceAsync(serviceId, ct);
            if (!current.IsSuccess)
            {
                return session.Fail(parse, current.Error);
            }

            var changed = changes.Apply(parse, current.Value);
            return session.Print(parse, await client.UpdateServiceAsync(serviceId, changed, ct), Show.Service, readBack: "the service (rekey service get)");
        }, ct));

        var yes = Yes();
        var delete = new Command("delete", "Delete the service given by --service, with its clients, secrets and API tokens (organisation token)") { session.Service, yes };
        delete.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var client = session.Client(parse);
            session.Confirm(parse, yes, $"This deletes service {serviceId} with all its clients, secrets and API tokens");
            return session.Print(parse, await client.DeleteServiceAsync(serviceId, ct), $"Deleted service {serviceId}.",
                readBack: "the service (rekey service get)");
        }, ct));

        return new Command("service", "Manage services") { create, get, list, update, delete };
    }
}
