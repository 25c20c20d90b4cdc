using System.Net;
using Rekey.Server.Storage;

namespace Rekey.Tests.Hosting;

/// <summary>Every /api answer, refusals and failures included, tells caches not to keep it, as the /oauth2 answers do.</summary>
public sealed class ApiCacheHeadersTests
{
    [Fact]
    public async Task every_api_answer_carries_cache_control_no_store_and_pragma_no_cache()
    {
        await using var store = new SqliteTestStore();
        await using var host = await RekeyHost.StartAsync(store, services: s => FaultyStore.Install(s, (method, args) =>
            method.Name == nameof(IRekeyStore.GetServiceAsync) && args is [333_333L, ..] ? new InvalidOperationException("a bug") : null));
        using var admin = host.CreateAdminClient();
        using var anonymous = host.CreateClient();
        var serviceId = await admin.CreateServiceAsync();

        (HttpStatusCode Status, HttpResponseMessage Response)[] answers =
        [
            (HttpStatusCode.OK, await admin.GetAsync(new Uri($"/api/{serviceId}/service/get", UriKind.Relative))),
            (HttpStatusCode.OK, await admin.PostAsync(new Uri("/api/service/create", UriKind.Relative), Wire.Json("""{"serviceName":"cached?"}"""))),
            (HttpStatusCode.BadRequest, await admin.PostAsync(new Uri("/api/service/create", UriKind.Relative), Wire.Json("{"))),
            (HttpStatusCode.Unauthorized, await anonymous.GetAsync(new Uri("/api/service/get/list", UriKind.Relative))),
            (HttpStatusCode.NotFound, await admin.GetAsync(new Uri("/api/no/such/endpoint", UriKind.Relative))),
            (HttpStatusCode.MethodNotAllowed, await admin.DeleteAsync(new Uri("/api/service/get/list", UriKind.Relative))),
            (HttpStatusCode.InternalServerError, await admin.GetAsync(new Uri("/api/333333/service/get", UriKind.Relative))),
        ];

        foreach (var (status, response) in answers)
        {
            using (response)
            {
                var what = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}";
                Assert.True(status == response.StatusCode, $"{what}: {response.StatusCode}");
                Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what}: Cache-Control {response.Headers.CacheControl}");
                Assert.True(response.Headers.Pragma.Any(p => p.Name == "no-cache"), $"{what}: Pragma {response.Headers.Pragma}");
                Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var sniffing) && sniffing.Single() == "nosniff", $"{what}: X-Content-Type-Options");
            }
        }
    }
}
