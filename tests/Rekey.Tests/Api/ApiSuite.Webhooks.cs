using System.Net;
using Rekey.Contracts;

namespace Rekey.Tests.Api;

/// <summary>Webhook management: what it accepts, what it refuses (and changes nothing), what it never shows.</summary>
public abstract partial class ApiSuite
{
    private async Task<(long ServiceId, Reply Created)> WebhookAsync(string json = """{"url":"https://hooks.example.com/rekey","events":["client.locked"],"description":"ops"}""")
    {
        var serviceId = await Admin.CreateServiceAsync();
        return (serviceId, await PostJsonAsync($"/api/{serviceId}/webhook/create", json));
    }

    [Fact]
    public async Task a_webhook_is_created_with_its_signing_secret_shown_once_and_read_back_without_it()
    {
        var (serviceId, created) = await WebhookAsync();
        AssertOk(created);
        AssertProperties(created, "webhookId", "serviceId", "url", "events", "description", "enabled", "createdAt", "modifiedAt", "secret");
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", created.Str("secret"));
        var id = created.Int("webhookId");

        var got = await GetAsync($"/api/{serviceId}/webhook/get/{id}");
        AssertOk(got);
        Assert.False(got.Has("secret"));
        Assert.Equal("https://hooks.example.com/rekey", got.Str("url"));
        Assert.Equal(["client.locked"], got.Json["events"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.True(got.Bool("enabled"));

        var list = await GetAsync($"/api/{serviceId}/webhook/get/list");
        Assert.Equal(1, list.Int("totalCount"));
        Assert.DoesNotContain(created.Str("secret"), list.Text, StringComparison.Ordinal);

        var audit = await GetAsync($"/api/{serviceId}/audit/get/list?action=webhook.create");
        Assert.Equal($"webhook {id}", Assert.Single(audit.Objects("events"))["target"]!.GetValue<string>());
        Assert.DoesNotContain(created.Str("secret"), audit.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Str("secret"), string.Join("\n", Host.Logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_update_keeps_what_it_leaves_out_and_a_delete_is_final()
    {
        var (serviceId, created) = await WebhookAsync();
        var id = created.Int("webhookId");

        var updated = await PostJsonAsync($"/api/{serviceId}/webhook/update/{id}", """{"enabled":false}""");
        AssertOk(updated);
        Assert.False(updated.Bool("enabled"));
        Assert.Equal("ops", updated.Str("description"));
        Assert.Equal("https://hooks.example.com/rekey", updated.Str("url"));

        AssertNoContent(await DeleteAsync($"/api/{serviceId}/webhook/delete/{id}"));
        AssertResult(await GetAsync($"/api/{serviceId}/webhook/get/{id}"), HttpStatusCode.NotFound, ResultCodes.WebhookNotFound, id, serviceId);
        AssertResult(await DeleteAsync($"/api/{serviceId}/webhook/delete/{id}"), HttpStatusCode.NotFound, ResultCodes.WebhookNotFound, id, serviceId);
    }

    [Theory]
    [InlineData("""{"url":"http://hooks.example.com/rekey"}""")]          // not https
    [InlineData("""{"url":"https://127.0.0.1/rekey"}""")]                // loopback
    [InlineData("""{"url":"https://10.1.2.3/rekey"}""")]                 // private
    [InlineData("""{"url":"https://169.254.169.254/latest/meta-data"}""")] // link-local: cloud metadata
    [InlineData("""{"url":"https://[::1]/rekey"}""")]
    [InlineData("""{"url":"https://[::ffff:127.0.0.1]/rekey"}""")]
    [InlineData("""{"url":"https://localhost/rekey"}""")]
    [InlineData("""{"url":"https://user:pass@hooks.example.com/rekey"}""")]
    [InlineData("""{"url":"/relative"}""")]
    [InlineData("""{"url":"ftp://hooks.example.com/"}""")]
    [InlineData("""{"description":"no url"}""")]
    public async Task a_url_rekey_will_not_call_is_refused_and_nothing_is_created(string json)
    {
        var (serviceId, refused) = await WebhookAsync(json);
        AssertResultCode(refused, HttpStatusCode.BadRequest, ResultCodes.WebhookInvalidUrl);
        Assert.Equal(0, (await GetAsync($"/api/{serviceId}/webhook/get/list")).Int("totalCount"));
    }

    [Theory]
    [InlineData("""{"url":"https://hooks.example.com/","events":["client.exploded"]}""", "A190202")]
    [InlineData("""{"url":"https://hooks.example.com/","events":"client.locked"}""", "A000213")]
    [InlineData("""{"url":"https://hooks.example.com/","description":"two\nlines"}""", "A190203")]
    [InlineData("""{"url":42}""", "A000213")]
    [InlineData("""not json""", "A000205")]
    public async Task a_malformed_webhook_is_refused_with_its_code(string json, string code)
    {
        var (serviceId, refused) = await WebhookAsync(json);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(code, refused.Str("resultCode"));
        Assert.Equal(0, (await GetAsync($"/api/{serviceId}/webhook/get/list")).Int("totalCount"));
    }

    [Theory]
    [InlineData("GET", "/api/{s}/webhook/get/{w}")]
    [InlineData("POST", "/api/{s}/webhook/update/{w}")]
    [InlineData("DELETE", "/api/{s}/webhook/delete/{w}")]
    [InlineData("POST", "/api/{s}/webhook/test/{w}")]
    [InlineData("POST", "/api/{s}/webhook/secret/rotate/{w}")]
    [InlineData("GET", "/api/{s}/webhook/deliveries/{w}")]
    public async Task an_unknown_or_malformed_webhook_id_is_404_A191201(string method, string path)
    {
        var serviceId = await Admin.CreateServiceAsync();
        foreach (var id in new[] { "123456789012", "not-a-number", "-1" })
        {
            var reply = await Admin.SendForReplyAsync(new HttpMethod(method), path.Replace("{s}", $"{serviceId}", StringComparison.Ordinal).Replace("{w}", id, StringComparison.Ordinal),
                method == "POST" ? Body(JsonType, "{}") : null);
            AssertResultCode(reply, HttpStatusCode.NotFound, ResultCodes.WebhookNotFound);
        }
    }

    [Fact]
    public async Task a_webhook_of_another_service_is_not_found_and_an_unknown_event_is_not_redelivered()
    {
        var (serviceId, created) = await WebhookAsync();
        var other = await Admin.CreateServiceAsync();
        var id = created.Int("webhookId");
        AssertResult(await GetAsync($"/api/{other}/webhook/get/{id}"), HttpStatusCode.NotFound, ResultCodes.WebhookNotFound, id, other);
        AssertResult(await PostJsonAsync($"/api/{serviceId}/webhook/redeliver/{id}/evt_nothing", "{}"), HttpStatusCode.NotFound, ResultCodes.WebhookDeliveryNotFound,
            "evt_nothing", serviceId);
    }

    [Fact]
    public async Task a_signing_secret_rotation_answers_a_new_secret_once_and_refuses_a_bad_overlap()
    {
        var (serviceId, created) = await WebhookAsync();
        var id = created.Int("webhookId");
        AssertResult(await PostJsonAsync($"/api/{serviceId}/webhook/secret/rotate/{id}", """{"gracePeriod":604801}"""), HttpStatusCode.BadRequest,
            ResultCodes.WebhookInvalidGracePeriod, 604800);
        var rotated = await PostJsonAsync($"/api/{serviceId}/webhook/secret/rotate/{id}", "");
        AssertOk(rotated);
        Assert.NotEqual(created.Str("secret"), rotated.Str("secret"));
        Assert.True(rotated.Int("previousSecretValidUntil") > rotated.Int("modifiedAt"));
        Assert.False((await GetAsync($"/api/{serviceId}/webhook/get/{id}")).Has("secret"));
    }

    [Fact]
    public async Task expiry_warnings_are_a_service_setting_with_a_default_and_rules()
    {
        var serviceId = await Admin.CreateServiceAsync();
        var service = await GetAsync($"/api/{serviceId}/service/get");
        Assert.False(service.Has("clientSecretExpiryWarnings")); // absent: 30, 7 and 1 days

        AssertOk(await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":"s","clientSecretExpiryWarnings":[86400,3600]}"""));
        Assert.Equal([86400L, 3600], (await GetAsync($"/api/{serviceId}/service/get")).Json["clientSecretExpiryWarnings"]!.AsArray().Select(v => v!.GetValue<long>()));
        // An Authlete SDK sends the document back without the extension: the setting stays.
        AssertOk(await PostJsonAsync($"/api/{serviceId}/service/update", """{"serviceName":"renamed"}"""));
        Assert.Equal(2, (await GetAsync($"/api/{serviceId}/service/get")).Json["clientSecretExpiryWarnings"]!.AsArray().Count);

        foreach (var bad in new[] { "[0]", "[-1]", "[60,60]", "[315360001]", "[1,2,3,4,5,6,7,8,9,10,11]", "\"30d\"" })
        {
            var refused = await PostJsonAsync($"/api/{serviceId}/service/update", $$"""{"serviceName":"s","clientSecretExpiryWarnings":{{bad}}}""");
            Assert.True(refused.Status == HttpStatusCode.BadRequest, bad + ": " + refused);
        }
    }
}
