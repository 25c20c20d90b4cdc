using System.CommandLine;
using System.Globalization;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    private static Command Audit(Session session)
    {
        var client = new Option<string>("--client")
        {
            Description = "Only the events of this client: its client ID, or its alias while the client exists (events name clients by ID: a deleted client's trail is listed by its ID)",
            HelpName = "id|alias",
        };
        var action = new Option<string>("--action") { Description = $"Only the events of this action: {string.Join(", ", AuditActions.All)}", HelpName = "name" };
        var allServices = new Option<bool>("--all-services")
        {
            Description = "The organisation's trail, every service (organisation token); --service and REKEY_SERVICE are ignored",
        };
        var audit = new Command("audit", "Show the audit trail of the service given by --service, or of all with --all-services; newest first")
        {
            session.Service, client, action, allServices,
        };
        var (start, end) = Paging(audit);
        audit.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            long? clientId = null;
            if (parse.GetValue(client) is { } text)
            {
                if (ParseClientId(text) is { } id)
                {
                    clientId = id;
                }
                else if (parse.GetValue(allServices))
                {
                    throw new UsageException($"--client '{text}' is an alias, and aliases belong to one service: give the client's numeric ID with --all-services.");
                }
                else
                {
                    // An alias names a client of this service while it exists; the trail records its ID.
                    var found = await session.Client(parse).GetClientAsync(session.ServiceId(parse), text, ct);
                    if (!found.IsSuccess)
                    {
                        return session.Fail(parse, found.Error!);
                    }

                    clientId = found.Value!.ClientId;
                }
            }

            var startIndex = parse.GetValue(start);
            var endIndex = parse.GetValue(end);
            var result = parse.GetValue(allServices)
                ? await session.Client(parse).ListOrganisationAuditEventsAsync(null, clientId, parse.GetValue(action), startIndex, endIndex, ct)
                : await session.Client(parse).ListAuditEventsAsync(session.ServiceId(parse), clientId, parse.GetValue(action), startIndex, endIndex, ct);
            return session.Print(parse, result, Show.AuditEvents);
        }, ct));
        return audit;
    }

    private static long? ParseClientId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
}
