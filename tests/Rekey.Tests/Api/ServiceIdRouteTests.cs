using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rekey.Contracts;

namespace Rekey.Tests.Api;

/// <summary>
/// The <c>{serviceId}</c> of every service-scoped /api route is parsed once, by the group's filter, before any handler
/// runs: one that is not a number names no service. The organisation token gets 404 A000210 naming what it sent, a
/// service token 403 (it may name only its own service), and a refused write is in the audit trail like any other.
/// </summary>
public sealed class ServiceIdRouteTests(SqliteServerFixture fixture) : IClassFixture<SqliteServerFixture>
{
    private const string NotANumber = "not-a-number";

    [Fact]
    public async Task every_service_scoped_endpoint_answers_a_service_id_that_is_not_a_number_with_404_naming_it()
    {
        using var admin = fixture.Host.CreateAdminClient();

        var routes = ServiceScopedRoutes();
        Assert.True(routes.Count > 15, $"only {routes.Count} service-scoped routes found");
        foreach (var (method, path) in routes)
        {
            var (status, body) = await admin.SendForJsonAsync(method, path, method == HttpMethod.Post ? Wire.Json("{") : null);

            Assert.True(status == HttpStatusCode.NotFound, $"{method} {path}: {status} {body.ToJsonString()}");
            Assert.Equal(ResultCodes.ServiceNotFound.Code, body["resultCode"]?.GetValue<string>());
            Assert.Equal(ResultCodes.ServiceNotFound.Format(NotANumber), body["resultMessage"]?.GetValue<string>());
        }
    }

    [Fact]
    public async Task a_service_token_is_403_on_every_service_scoped_endpoint_for_a_service_id_that_is_not_a_number()
    {
        using var admin = fixture.Host.CreateAdminClient();
        var serviceId = await admin.CreateServiceAsync();
        var token = await admin.CreateApiTokenAsync(serviceId, [.. Permissions.Grantable]);
        using var service = fixture.Host.CreateClient(token.Token);

        foreach (var (method, path) in ServiceScopedRoutes())
        {
            var (status, body) = await service.SendForJsonAsync(method, path, method == HttpMethod.Post ? Wire.Json("{}") : null);

            Assert.True(status == HttpStatusCode.Forbidden, $"{method} {path}: {status} {body.ToJsonString()}");
            if (body["resultCode"]?.GetValue<string>() != ResultCodes.PermissionDenied.Code)
            {
                Assert.Equal(ResultCodes.WrongService.Format(NotANumber), body["resultMessage"]?.GetValue<string>());
            }
        }
    }

    [Fact]
    public async Task a_refused_write_to_a_service_id_that_is_not_a_number_is_in_the_audit_trail()
    {
        using var admin = fixture.Host.CreateAdminClient();
        var target = "unnumbered-" + Guid.NewGuid().ToString("N");

        var (status, _) = await admin.PostForJsonAsync($"/api/{NotANumber}/client/update/{target}", Wire.Json("""{"clientName":"nowhere"}"""));

        Assert.Equal(HttpStatusCode.NotFound, status);
        var (listed, page) = await admin.GetForJsonAsync($"/api/audit/get/list?action={AuditActions.ClientUpdate}&end=1000");
        Assert.Equal(HttpStatusCode.OK, listed);
        var refusal = Assert.Single(page["events"]?.AsArray() ?? [], e => e?["target"]?.GetValue<string>() == target);
        Assert.Equal(ResultCodes.ServiceNotFound.Code, refusal?["outcome"]?.GetValue<string>());
        Assert.Null(refusal?["serviceId"]);
    }

    /// <summary>Every /api route under <c>{serviceId}</c>, with the service ID not a number and any other parameter <c>x</c>.</summary>
    private List<(HttpMethod Method, string Path)> ServiceScopedRoutes() =>
    [
        .. fixture.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/{serviceId}/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(method => (
                new HttpMethod(method),
                Regex.Replace(e.RoutePattern.RawText ?? "", @"\{(\w+)\}", p => p.Groups[1].Value == "serviceId" ? NotANumber : "x")))),
    ];
}
