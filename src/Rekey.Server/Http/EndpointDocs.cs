using Rekey.Contracts;

namespace Rekey.Server.Http;

/// <summary>Puts an endpoint's result codes into the OpenAPI document: in its description and as responses.</summary>
internal static class EndpointDocs
{
    private static readonly ResultCode[] Common =
    [
        ResultCodes.MissingAccessToken, ResultCodes.UnknownAccessToken, ResultCodes.PermissionDenied,
        ResultCodes.WrongService, ResultCodes.InternalError, ResultCodes.StoreUnavailable,
    ];

    public static RouteHandlerBuilder Documented<TSuccess>(this RouteHandlerBuilder builder, string name, string summary, int successStatus, params ResultCode[] codes)
    {
        builder.Documented(name, summary, codes);
        return builder.Produces<TSuccess>(successStatus);
    }

    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder builder, string name, string summary, params ResultCode[] codes)
    {
        var all = codes.Concat(Common).ToArray();
        var lines = all.Select(c => $"- `{c.Code}` ({c.HttpStatus}): {c.Template}");
        builder.WithName(name).WithSummary(summary).WithDescription("Result codes:\n\n" + string.Join("\n", lines));
        foreach (var status in all.Where(c => !c.IsSuccess).Select(c => c.HttpStatus).Distinct())
        {
            builder.Produces<ResultResponse>(status);
        }

        return builder;
    }
}
