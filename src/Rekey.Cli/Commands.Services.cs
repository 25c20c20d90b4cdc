using System.CommandLine;
using Rekey.Contracts;

namespace Rekey.Cli;

internal static partial class Commands
{
    private static Command Services(Session session)
    {
        var name = new Option<string>("--name") { Description = "Service name (serviceName), 1 to 200 characters", HelpName = "name" };
        var issuer = new Option<string>("--issuer") { Description = "Issuer identifier: absolute https URL (http only for localhost)", HelpName = "url" };

        var create = new Command("create", "Create a service (organisation token); prints its ID (apiKey)") { name, issuer };
        name.Required = true;
        create.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var result = await session.Client(parse).CreateServiceAsync(
                new ServiceDocument { ServiceName = parse.GetValue(name), Issuer = parse.GetValue(issuer) }, ct);
            return session.Print(parse, result, Show.Service, readBack: "the services (rekey service list)");
        }, ct));

        var get = new Command("get", "Show the service given by --service");
        get.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            return session.Print(parse, await session.Client(parse).GetServiceAsync(serviceId, ct), Show.Service);
        }, ct));

        var start = Start();
        var end = End();
        var list = new Command("list", "List the services the token can see") { start, end };
        list.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var result = await session.Client(parse).ListServicesAsync(Session.Index(parse, start), Session.Index(parse, end), ct);
            return session.Print(parse, result, Show.Services);
        }, ct));

        var newName = new Option<string>("--name") { Description = "New service name", HelpName = "name" };
        var newIssuer = new Option<string>("--issuer") { Description = "New issuer; \"\" removes it", HelpName = "url" };
        var update = new Command("update", "Change the service given by --service (reads it, changes the given fields, replaces it)") { newName, newIssuer };
        update.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var client = session.Client(parse);
            var current = await client.GetServiceAsync(serviceId, ct);
            if (!current.IsSuccess)
            {
                return session.Fail(current.Error);
            }

            var changed = current.Value with
            {
                ServiceName = Text(parse.GetValue(newName), current.Value.ServiceName),
                Issuer = Text(parse.GetValue(newIssuer), current.Value.Issuer),
            };
            return session.Print(parse, await client.UpdateServiceAsync(serviceId, changed, ct), Show.Service, readBack: "the service (rekey service get)");
        }, ct));

        var delete = new Command("delete", "Delete the service given by --service, with its clients, secrets and API tokens (organisation token)");
        delete.SetAction((parse, ct) => session.RunAsync(async ct =>
        {
            var serviceId = session.ServiceId(parse);
            return session.Print(parse, await session.Client(parse).DeleteServiceAsync(serviceId, ct), $"Deleted service {serviceId}.",
                readBack: "the service (rekey service get)");
        }, ct));

        return new Command("service", "Manage services") { create, get, list, update, delete };
    }
}
