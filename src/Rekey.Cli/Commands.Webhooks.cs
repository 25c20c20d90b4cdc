using System.CommandLine;
using System.Globalization;
using Rekey.Contracts;
using Rekey.Sdk.Webhooks;

namespace Rekey.Cli;

internal static partial class Commands
{
    private const string ReadBackWebhooks = "the webhooks (rekey webhook list)";

    private static Command Webhooks(Session session)
    {
        return new Command("webhook",
            "Manage the webhooks of the service given by --service: its lifecycle events POSTed to a URL, signed per Standard Webhooks " +
            "(permissions webhook.read, webhook.write); and receive them locally with 'rekey webhook listen'")
        {
            WebhookCreate(session), WebhookList(session), WebhookGet(session), WebhookUpdate(session), WebhookDelete(session),
            WebhookTest(session), WebhookRotateSecret(session), WebhookDeliveries(session), WebhookRedeliver(session), WebhookListen(session),
        };
    }

    private static Argument<long> WebhookId() => Id("webhookId", "The webhook's ID, from 'rekey webhook list'", "an ID from 'rekey webhook list'");

    /// <summary>The properties of a webhook, shared by create and update.</summary>
    private sealed class WebhookFields(bool update)
    {
        // Not --url: that is the server's address on every command, and "webhook update 5 --url <server>" typed by habit
        // would have pointed the webhook at the server.
        public Option<string> Url => field ??= new("--endpoint")
        {
            Description = "The webhook's URL, where deliveries are POSTed: https (http and private addresses only when the server allows them, " +
                "Rekey:Webhooks:AllowPrivateNetworks)",
            HelpName = "url",
            Required = !update,
        };

        public Option<string[]> Events => field ??= EventsOption();

        public Option<string> Description => field ??= new("--description")
        {
            Description = "Free text for operators, at most 200 characters" + (update ? "; \"\" removes it" : ""),
            HelpName = "text",
        };

        private Option<string[]> EventsOption()
        {
            var option = new Option<string[]>("--events")
            {
                Description = $"The event types to send, repeatable or comma-separated: {string.Join(", ", EventTypes.All)}. " +
                    (update ? "Replaces the list; \"\" sends every type" : "Not given: every type"),
                HelpName = "type",
            };
            option.CompletionSources.Add([.. EventTypes.All]);
            return option;
        }

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Url, Events, Description })
            {
                command.Options.Add(option);
            }
        }

        /// <summary>The request: the options given, the others absent (on update the server keeps their values).</summary>
        public WebhookRequest Request(ParseResult parse, bool? enabled) => new()
        {
            Url = parse.GetValue(Url),
            Events = Words(parse, Events),
            Description = parse.GetValue(Description),
            Enabled = enabled,
        };
    }

    private static Command WebhookCreate(Session session)
    {
        var fields = new WebhookFields(update: false);
        var disabled = new Option<bool>("--disabled") { Description = "Create it disabled: no deliveries until 'rekey webhook update <id> --enable'" };
        var create = new Command("create", "Create a webhook for the service given by --service; prints it with its signing secret, once") { session.Service };
        fields.AddTo(create);
        create.Options.Add(disabled);
        create.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var request = fields.Request(parse, parse.GetValue(disabled) ? false : null);
            var result = await session.Client(parse).CreateWebhookAsync(serviceId, request, ct);
            if (result.IsSuccess && !session.WantsJson(parse))
            {
                Human.Line(session.Error,
                    "note: the signing secret is shown this once; store it where your receiver reads it ('rekey webhook rotate-secret' makes a new one).");
            }

            return session.Print(parse, result, Show.Webhook, readBack: ReadBackWebhooks);
        }, ct));
        return create;
    }

    private static Command WebhookList(Session session)
    {
        var list = new Command("list", "List the webhooks of the service given by --service (never their secrets)") { session.Service };
        var (start, end) = Paging(list);
        list.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            return session.Print(parse, await session.Client(parse).ListWebhooksAsync(serviceId, parse.GetValue(start), parse.GetValue(end), ct), Show.Webhooks);
        }, ct));
        return list;
    }

    private static Command WebhookGet(Session session)
    {
        var id = WebhookId();
        var get = new Command("get", "Show a webhook (without its secret)") { id, session.Service };
        get.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            return session.Print(parse, await session.Client(parse).GetWebhookAsync(serviceId, parse.GetValue(id), ct), Show.Webhook);
        }, ct));
        return get;
    }

    private static Command WebhookUpdate(Session session)
    {
        var id = WebhookId();
        var fields = new WebhookFields(update: true);
        var enable = new Option<bool>("--enable") { Description = "Resume deliveries (also after the server disabled a webhook that kept failing)" };
        var disable = new Option<bool>("--disable") { Description = "Stop deliveries; pending ones wait until it is enabled again" };
        var update = new Command("update", "Change the properties given, keep the others (the server merges them)") { id, session.Service };
        fields.AddTo(update);
        update.Options.Add(enable);
        update.Options.Add(disable);
        update.Validators.Add(r =>
        {
            if (r.GetResult(enable) is { Implicit: false } && r.GetResult(disable) is { Implicit: false })
            {
                r.AddError("give --enable or --disable, not both.");
            }
        });
        update.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var request = fields.Request(parse, parse.GetValue(enable) ? true : parse.GetValue(disable) ? false : null);
            if (request == new WebhookRequest())
            {
                throw new UsageException("nothing to change: give --endpoint, --events, --description, --enable or --disable.");
            }

            var webhookId = parse.GetValue(id);
            var result = await session.Client(parse).UpdateWebhookAsync(serviceId, webhookId, request, ct);
            return session.Print(parse, result, Show.Webhook, readBack: $"the webhook (rekey webhook get {webhookId})");
        }, ct));
        return update;
    }

    private static Command WebhookDelete(Session session)
    {
        var id = WebhookId();
        var yes = Yes();
        var delete = new Command("delete", "Delete a webhook with its pending deliveries") { id, session.Service, yes };
        delete.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var webhookId = parse.GetValue(id);
            var client = session.Client(parse);
            session.Confirm(parse, yes, $"This deletes webhook {webhookId} of service {serviceId} with its pending deliveries");
            return session.Print(parse, await client.DeleteWebhookAsync(serviceId, webhookId, ct), $"Deleted webhook {webhookId} of service {serviceId}.", ReadBackWebhooks);
        }, ct));
        return delete;
    }

    private static Command WebhookTest(Session session)
    {
        var id = WebhookId();
        var test = new Command("test", "Send a webhook.test event to this webhook alone; 'rekey webhook deliveries' shows how it went") { id, session.Service };
        test.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var webhookId = parse.GetValue(id);
            return session.Print(parse, await session.Client(parse).TestWebhookAsync(serviceId, webhookId, ct), Show.DeliveryQueued,
                readBack: $"the deliveries (rekey webhook deliveries {webhookId})");
        }, ct));
        return test;
    }

    private static Command WebhookRotateSecret(Session session)
    {
        var id = WebhookId();
        var grace = Duration("--grace-period",
            "Seconds the replaced secret keeps signing beside the new one, so receivers can switch at their pace (default 1 day; 0: it stops at once; at most 7 days)");
        var rotate = new Command("rotate-secret", "Give a webhook a new signing secret; prints it, once") { id, session.Service, grace };
        rotate.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var webhookId = parse.GetValue(id);
            var result = await session.Client(parse).RotateWebhookSecretAsync(serviceId, webhookId, parse.GetValue(grace), ct);
            if (result.IsSuccess && !session.WantsJson(parse))
            {
                Human.Line(session.Error, "note: the new signing secret is shown this once; deliveries carry a signature under the old one too until previousSecretValidUntil.");
            }

            return session.Print(parse, result, Show.Webhook, readBack: $"the webhook (rekey webhook get {webhookId}: previousSecretValidUntil says whether it was rotated)");
        }, ct));
        return rotate;
    }

    private static Command WebhookDeliveries(Session session)
    {
        var id = WebhookId();
        var deliveries = new Command("deliveries", "A webhook's delivery log, newest first: status, attempts, the receiver's last answer") { id, session.Service };
        var (start, end) = Paging(deliveries);
        deliveries.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var result = await session.Client(parse).ListWebhookDeliveriesAsync(serviceId, parse.GetValue(id), parse.GetValue(start), parse.GetValue(end), ct);
            return session.Print(parse, result, Show.Deliveries);
        }, ct));
        return deliveries;
    }

    private static Command WebhookRedeliver(Session session)
    {
        var id = WebhookId();
        var eventId = new Argument<string>("eventId") { Description = "The event's ID (the webhook-id header), from 'rekey webhook deliveries'" };
        var redeliver = new Command("redeliver", "Send a delivery again, whatever its status, with a fresh retry schedule (same event ID)") { id, eventId, session.Service };
        redeliver.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var serviceId = session.ServiceId(parse);
            var webhookId = parse.GetValue(id);
            var result = await session.Client(parse).RedeliverWebhookEventAsync(serviceId, webhookId, parse.GetRequiredValue(eventId), ct);
            return session.Print(parse, result, Show.DeliveryQueued, readBack: $"the deliveries (rekey webhook deliveries {webhookId})");
        }, ct));
        return redeliver;
    }

    private static Command WebhookListen(Session session)
    {
        var secret = new Option<string>("--secret")
        {
            Description = "The webhook's signing secret (whsec_…), as create or rotate-secret printed it (discouraged: it lands in shell history)",
            HelpName = "whsec_…",
        };
        var file = new Option<FileInfo>("--secret-file") { Description = "Read the signing secret from this file (one line)", HelpName = "path" };
        var port = new Option<int>("--port")
        {
            Description = "The port to listen on",
            HelpName = "port",
            DefaultValueFactory = _ => 8080,
            CustomParser = Port,
        };
        var path = new Option<string>("--path")
        {
            Description = "The path deliveries are POSTed to (others are answered 404)",
            HelpName = "path",
            DefaultValueFactory = _ => "/",
        };
        var host = new Option<string>("--host")
        {
            Description = "The address to listen on: 127.0.0.1 (the default, this machine only), another of its addresses, or * for all",
            HelpName = "address",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var listen = new Command("listen",
            "A local webhook receiver, for development: verifies each delivery's signature with the secret and prints one line per event; " +
            "answers 204 to a valid delivery and 401 to one that does not verify; until Ctrl+C. Needs no server or token. A Rekey server delivers to " +
            "http on this machine only with Rekey:Webhooks:AllowPrivateNetworks=true. The secret: --secret, --secret-file, asked on a terminal, " +
            "or one line of standard input")
        {
            secret, file, port, path, host,
        };
        listen.SetAction((parse, ct) => session.RunAsync(parse, async ct =>
        {
            var key = await ReadSecretAsync(session, parse.GetValue(secret), parse.GetValue(file), ct, "Webhook signing secret (not shown): ");
            WebhookVerifier verifier;
            try
            {
                verifier = new WebhookVerifier(key.Trim());
            }
            catch (ArgumentException)
            {
                throw new UsageException("the secret is not a webhook signing secret: whsec_ and the base64 of 24 to 64 bytes, as 'rekey webhook create' printed it.");
            }

            var route = parse.GetValue(path) ?? "/";
            if (!route.StartsWith('/') || !Uri.TryCreate("http://localhost" + route, UriKind.Absolute, out var routeUri) || routeUri.AbsolutePath != route)
            {
                throw new UsageException($"--path '{route}' is not a URL path (it starts with / and has no query).");
            }

            using var listener = new WebhookListener(verifier, parse.GetValue(host) ?? "127.0.0.1", parse.GetValue(port), route, session.Out, session.Format(parse), TimeProvider.System);
            listener.Start();
            Human.Line(session.Error, $"Listening on {listener.Address} for deliveries signed with the given secret; Ctrl+C to stop.");
            try
            {
                await listener.RunAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C is how listening ends: not an interruption of a request.
            }

            Human.Line(session.Error, $"Stopped; {listener.Received.ToString(CultureInfo.InvariantCulture)} deliveries received.");
            return ExitCodes.Success;
        }, ct));
        return listen;

        static int Port(System.CommandLine.Parsing.ArgumentResult r)
        {
            var n = WholeNumber(r, "a port number, 1 to 65535");
            if (n is >= 1 and <= 65535)
            {
                return (int)n;
            }

            if (n is not null)
            {
                r.AddError($"--port must be 1 to 65535, got '{n}'.");
            }

            return 0;
        }
    }
}
