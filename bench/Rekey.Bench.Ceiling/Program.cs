using Microsoft.AspNetCore.Http.Json;
using Rekey.Contracts;

// The ceiling of the load benchmarks: everything Rekey's secret update does except the work. Same host builder,
// same Kestrel settings, same middleware in front of the endpoint, same source-generated JSON (Rekey.Contracts) to
// read the request and write the answer, same secret rules; no authentication, no store, no crypto.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, RekeyJsonContext.Default));

var app = builder.Build();
app.UseExceptionHandler(handler => handler.Run(http =>
{
    http.Response.StatusCode = 500;
    return Task.CompletedTask;
}));
app.UseStatusCodePages();
app.MapGet("/healthz", () => Results.Text("ok"));
app.MapPost("/noop/{serviceId}/client/secret/update/{clientIdentifier}", Noop.UpdateAsync);
await app.RunAsync();

internal static class Noop
{
    private static readonly ResultResponse Ok = ResultResponse.Of(ResultCodes.SecretUpdated, 0);

    public static async Task<IResult> UpdateAsync(string serviceId, string clientIdentifier, HttpRequest request, CancellationToken ct)
    {
        var body = await request.ReadFromJsonAsync(RekeyJsonContext.Default.ClientSecretUpdateRequest, ct);
        if (body?.ClientSecret is null || ClientSecretRules.Check(body.ClientSecret) is not null || serviceId.Length == 0 || clientIdentifier.Length == 0)
        {
            return Results.Json(ResultResponse.Of(ResultCodes.SecretMissing), RekeyJsonContext.Default.ResultResponse, statusCode: 400);
        }

        return Results.Json(Ok, RekeyJsonContext.Default.ResultResponse);
    }
}
