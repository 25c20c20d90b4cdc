using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.OpenApi;
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

    /// <summary>
    /// Describes every parameter of the route template as a path parameter, also one the handler does not bind: the
    /// /api handlers do not take <c>{serviceId}</c> (the group's filter, <see cref="Auth.ApiAuth"/>, parses it once for
    /// them), and the document would otherwise leave it out. Added in template order, before the handler's own.
    /// </summary>
    public static Task DescribeRouteParameters(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.RelativePath is not { } template)
        {
            return Task.CompletedTask;
        }

        var described = (operation.Parameters ?? []).Where(p => p.In == ParameterLocation.Path).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = RoutePatternFactory.Parse(template).Parameters.Where(p => !described.Contains(p.Name)).ToList();
        if (missing.Count > 0)
        {
            operation.Parameters ??= [];
            for (var i = 0; i < missing.Count; i++)
            {
                operation.Parameters.Insert(i, new OpenApiParameter
                {
                    Name = missing[i].Name,
                    In = ParameterLocation.Path,
                    Required = true,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
            }
        }

        return Task.CompletedTask;
    }
}
