using Rekey.Contracts;
using Rekey.Server.Audit;
using Rekey.Server.Auth;

namespace Rekey.Server.Console;

/// <summary>
/// The console's gate, the same decisions as /api's (<see cref="ApiAuth.Authorize"/>): a session, then the endpoint's
/// permission and the route's service. A page a token may not see, or an action it may not take, is refused even when
/// asked for directly — and an action refused is audited as /api audits it. Every form must carry the session's
/// antiforgery secret; a form without it changes nothing.
/// </summary>
internal sealed class ConsoleAuth(ConsoleSessions sessions, Changes changes) : IEndpointFilter
{
    public const string CsrfField = "csrf";

    private static readonly object FormKey = new();

    public static IFormCollection FormOf(HttpContext http) => http.Items[FormKey] as IFormCollection ?? FormCollection.Empty;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var user = await sessions.ResolveAsync(http);
        if (user is null)
        {
            var back = http.Request.Path + http.Request.QueryString;
            return Results.Redirect("/console/signin" + (HttpMethods.IsGet(http.Request.Method) ? "?next=" + Uri.EscapeDataString(back) : ""));
        }

        if (HttpMethods.IsPost(http.Request.Method))
        {
            var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : FormCollection.Empty;
            if (!ConsoleSessions.CsrfMatches(user, form[CsrfField]))
            {
                return ConsolePages.Message(http, "Form expired", "This form is no longer valid (it came from another session or page). Nothing was changed; go back and try again.",
                    StatusCodes.Status400BadRequest);
            }

            http.Items[FormKey] = form;
        }

        var routeService = http.Request.RouteValues["serviceId"] as string;
        var (serviceId, refusal) = ApiAuth.Authorize(user.Caller, http.GetEndpoint()?.Metadata.GetMetadata<RequiredPermission>(), routeService);
        if (refusal is not null)
        {
            await changes.RecordRefusalAsync(http, refusal, serviceId);
            return ConsolePages.Refused(http, refusal);
        }

        if (serviceId is { } sid)
        {
            http.Items[ApiAuth.ServiceIdKey] = sid;
        }

        return await next(context);
    }
}
