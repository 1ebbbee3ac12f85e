#include "daemon/azure/token_requests.hpp"

#include <gtest/gtest.h>

namespace rpd::azure {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

// 2026-11-25 10:30:00 UTC = 1795602600 seconds since the epoch.
const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h + 30min;

TimePoint epoch(std::int64_t value) { return TimePoint(seconds(value)); }

TEST(TokenRequests, UrlEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("a b+c/d:e=f&g%"), "a%20b%2Bc%2Fd%3Ae%3Df%26g%25");
  EXPECT_EQ(url_encode("\xc3\xa9"), "%C3%A9");
}

TEST(TokenRequests, ScopeAndTokenUrl) {
  EXPECT_EQ(default_scope("https://management.azure.com"), "https://management.azure.com/.default");
  EXPECT_EQ(default_scope("https://management.usgovcloudapi.net/"), "https://management.usgovcloudapi.net/.default");
  EXPECT_EQ(entra_token_url("https://login.microsoftonline.com/", "tenant-1"),
            "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
}

TEST(TokenRequests, ClientSecretForm) {
  EXPECT_EQ(client_secret_form("client-1", "s3cr&t=+/ x", "https://management.azure.com/.default"),
            "grant_type=client_credentials&client_id=client-1&client_secret=s3cr%26t%3D%2B%2F%20x"
            "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
}

TEST(TokenRequests, ClientAssertionForm) {
  EXPECT_EQ(client_assertion_form("client-1", "aaa.bbb.c-_c", "https://management.azure.com/.default"),
            "grant_type=client_credentials&client_id=client-1"
            "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
            "&client_assertion=aaa.bbb.c-_c&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
}

TEST(TokenRequests, ImdsSystemAssigned) {
  TokenGet get = imds_request("https://management.azure.com");
  EXPECT_EQ(get.target,
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F");
  EXPECT_EQ(get.headers, (Headers{{"Metadata", "true"}}));
  EXPECT_EQ(imds_request("https://management.azure.com/").target, get.target);
}

TEST(TokenRequests, ImdsUserAssigned) {
  const std::string base =
      "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F";
  using Kind = ManagedIdentityId::Kind;
  EXPECT_EQ(imds_request("https://management.azure.com", {Kind::client_id, "c-1"}).target, base + "&client_id=c-1");
  EXPECT_EQ(imds_request("https://management.azure.com", {Kind::object_id, "o-1"}).target, base + "&object_id=o-1");
  EXPECT_EQ(imds_request("https://management.azure.com",
                         {Kind::resource_id, "/subscriptions/s/resourceGroups/g/providers/"
                                             "Microsoft.ManagedIdentity/userAssignedIdentities/id"})
                .target,
            base + "&msi_res_id=%2Fsubscriptions%2Fs%2FresourceGroups%2Fg%2Fproviders%2F"
                   "Microsoft.ManagedIdentity%2FuserAssignedIdentities%2Fid");
}

TEST(TokenRequests, AppService) {
  TokenGet get = app_service_request("http://127.0.0.1:41741/MSI/token/", "header-secret",
                                     "https://management.azure.com", {ManagedIdentityId::Kind::client_id, "c-1"});
  EXPECT_EQ(get.target,
            "http://127.0.0.1:41741/MSI/token/?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
            "&client_id=c-1");
  EXPECT_EQ(get.headers, (Headers{{"X-IDENTITY-HEADER", "header-secret"}}));
  EXPECT_EQ(app_service_request("http://e/", "h", "https://m", {ManagedIdentityId::Kind::object_id, "o"}).target,
            "http://e/?api-version=2019-08-01&resource=https%3A%2F%2Fm%2F&principal_id=o");
  EXPECT_EQ(app_service_request("http://e/", "h", "https://m", {ManagedIdentityId::Kind::resource_id, "r"}).target,
            "http://e/?api-version=2019-08-01&resource=https%3A%2F%2Fm%2F&mi_res_id=r");
}

TEST(TokenRequests, ParseEntraToken) {
  auto token = parse_entra_token(R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,)"
                                 R"("access_token":"eyJ0.secret"})",
                                 kNow + 400ms);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->value, "eyJ0.secret");
  EXPECT_EQ(token->expires_on, kNow + 3599s);
  EXPECT_FALSE(token->refresh_at);

  auto as_string = parse_entra_token(R"({"token_type":"bearer","expires_in":"3600","access_token":"x"})", kNow);
  ASSERT_TRUE(as_string) << as_string.error().message;
  EXPECT_EQ(as_string->expires_on, kNow + 3600s);
}

TEST(TokenRequests, ParseEntraTokenErrorsNameTheFieldAndNotTheToken) {
  auto error = [](std::string_view body) {
    auto token = parse_entra_token(body, kNow);
    EXPECT_FALSE(token);
    return token ? std::string() : token.error().message;
  };
  EXPECT_EQ(error(R"({"expires_in":3599})"), "token answer: field \"access_token\" is missing");
  EXPECT_EQ(error(R"({"access_token":5,"expires_in":3599})"), "token answer: field \"access_token\" is not a string");
  EXPECT_EQ(error(R"({"access_token":"","expires_in":3599})"), "token answer: field \"access_token\" is empty");
  EXPECT_EQ(error(R"({"access_token":"SECRET"})"), "token answer: field \"expires_in\" is missing");
  EXPECT_EQ(error(R"({"access_token":"SECRET","expires_in":"soon"})"),
            "token answer: field \"expires_in\" is not a whole number of seconds");
  EXPECT_EQ(error(R"({"access_token":"SECRET","expires_in":-5})"),
            "token answer: field \"expires_in\" is not a whole number of seconds");
  EXPECT_EQ(error(R"({"access_token":"SECRET","expires_in":3599,"token_type":"pop"})"),
            "token answer: field \"token_type\" is not Bearer");
  EXPECT_EQ(error(R"([1])"), "token answer: the answer is not a JSON object");
  std::string not_json = error(R"({"access_token":"SECRET",)");
  EXPECT_EQ(not_json.rfind("token answer: the answer is not JSON (", 0), 0u) << not_json;
  EXPECT_EQ(not_json.find("SECRET"), std::string::npos);
}

TEST(TokenRequests, ParseImdsToken) {
  auto token = parse_managed_identity_token(
      R"({"access_token":"eyJ0.imds","client_id":"c","expires_in":"86399","expires_on":"1795689000",)"
      R"("ext_expires_in":"86399","not_before":"1795602600","resource":"https://management.azure.com/",)"
      R"("token_type":"Bearer","refresh_in":"43199"})",
      kNow + 700ms);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->value, "eyJ0.imds");
  EXPECT_EQ(token->expires_on, epoch(1795689000));
  ASSERT_TRUE(token->refresh_at);
  EXPECT_EQ(*token->refresh_at, kNow + 43199s);
}

TEST(TokenRequests, ParseImdsTokenFallsBackToExpiresIn) {
  auto token = parse_managed_identity_token(R"({"access_token":"a","expires_in":"600"})", kNow);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->expires_on, kNow + 600s);
  EXPECT_FALSE(token->refresh_at);

  auto number = parse_managed_identity_token(R"({"access_token":"a","expires_on":1795689000})", kNow);
  ASSERT_TRUE(number) << number.error().message;
  EXPECT_EQ(number->expires_on, epoch(1795689000));
}

TEST(TokenRequests, ParseImdsTokenErrors) {
  auto missing = parse_managed_identity_token(R"({"access_token":"SECRET"})", kNow);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "managed identity token answer: field \"expires_on\" is missing (and so is expires_in)");
  auto wrong = parse_managed_identity_token(R"({"access_token":"SECRET","expires_on":"12:00"})", kNow);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message,
            "managed identity token answer: field \"expires_on\" is not a whole number of seconds");
  auto refresh = parse_managed_identity_token(R"({"access_token":"SECRET","expires_on":"1","refresh_in":1.5})",
                                              kNow);
  ASSERT_FALSE(refresh);
  EXPECT_EQ(refresh.error().message,
            "managed identity token answer: field \"refresh_in\" is not a whole number of seconds");
}

TEST(TokenRequests, ParseAzureCliToken) {
  auto token = parse_azure_cli_token(
      R"({"accessToken":"eyJ0.cli","expiresOn":"2026-11-25 11:30:00.000000","expires_on":1795606200,)"
      R"("subscription":"s","tenant":"t","tokenType":"Bearer"})");
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->value, "eyJ0.cli");
  EXPECT_EQ(token->expires_on, epoch(1795606200));

  auto old_cli = parse_azure_cli_token(R"({"accessToken":"SECRET","expiresOn":"2026-11-25 11:30:00.000000"})");
  ASSERT_FALSE(old_cli);
  EXPECT_EQ(old_cli.error().message,
            "az account get-access-token output: field \"expires_on\" is missing (Azure CLI 2.54 or later is needed)");
  auto no_token = parse_azure_cli_token(R"({"access_token":"SECRET","expires_on":1795606200})");
  ASSERT_FALSE(no_token);
  EXPECT_EQ(no_token.error().message, "az account get-access-token output: field \"accessToken\" is missing");
}

TEST(ArcRequest, AsksWithMetadataAndApiVersion20191101) {
  const TokenGet get = arc_request("http://localhost:40342/metadata/identity/oauth2/token", "https://management.azure.com");
  EXPECT_EQ(get.target,
            "http://localhost:40342/metadata/identity/oauth2/token?api-version=2019-11-01&resource="
            "https%3A%2F%2Fmanagement.azure.com%2F");
  ASSERT_EQ(get.headers.size(), 1u);
  EXPECT_EQ(get.headers[0].first, "Metadata");
}

TEST(ArcKeyFile, OnlyAKeyFileInTheAgentsDirectoryIsAccepted) {
  const auto challenge = [](std::string value) { return Headers{{"WWW-Authenticate", std::move(value)}}; };
  const std::string dir = "/var/opt/azcmagent/tokens";
  EXPECT_EQ(*arc_key_file(challenge("Basic realm=/var/opt/azcmagent/tokens/0b1c.key"), dir),
            "/var/opt/azcmagent/tokens/0b1c.key");
  EXPECT_EQ(*arc_key_file(challenge("basic REALM=/var/opt/azcmagent/tokens/0b1c.key"), dir + "/"),
            "/var/opt/azcmagent/tokens/0b1c.key");
  const std::string outside = "Azure Arc's challenge names a file outside /var/opt/azcmagent/tokens/ or not a .key file";
  EXPECT_EQ(arc_key_file(challenge("Basic realm=/etc/shadow"), dir).error().message, outside);
  EXPECT_EQ(arc_key_file(challenge("Basic realm=/var/opt/azcmagent/tokens/../../../etc/x.key"), dir).error().message, outside);
  EXPECT_EQ(arc_key_file(challenge("Basic realm=/var/opt/azcmagent/tokens/notes.txt"), dir).error().message, outside);
  EXPECT_EQ(arc_key_file(challenge("Basic realm=/var/opt/azcmagent/tokens/.key"), dir).error().message, outside);
  EXPECT_EQ(arc_key_file(challenge("Bearer realm=x"), dir).error().message,
            "Azure Arc's challenge is not \"Basic realm=<file>\"");
  EXPECT_EQ(arc_key_file({}, dir).error().message, "Azure Arc's answer has no WWW-Authenticate challenge");
}

TEST(TokenFailure, QuotesTheErrorAndTheFirstLineOfItsDescription) {
  EXPECT_EQ(describe_token_failure(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\n"})"),
            "HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided.");
  EXPECT_EQ(describe_token_failure(400, R"({"error":"invalid_request","error_description":"Identity not found"})"),
            "HTTP 400 invalid_request: Identity not found");
  EXPECT_EQ(describe_token_failure(503, "<html>Service Unavailable</html>"), "HTTP 503");
  EXPECT_EQ(describe_token_failure(500, R"({"error":{"code":"InternalServerError"}})"), "HTTP 500");
  const std::string long_description(400, 'x');
  EXPECT_EQ(describe_token_failure(400, R"({"error_description":")" + long_description + R"("})"),
            "HTTP 400: " + std::string(300, 'x') + "...");
}

}  // namespace
}  // namespace rpd::azure
