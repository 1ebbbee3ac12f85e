#pragma once
// The fixture: the world the emulator starts with, read from a YAML file (tests/emulator/fixtures/).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace rpd::emulator {

struct Disk {
  std::string name;
  std::string sku;  // Premium_LRS, PremiumV2_LRS, UltraSSD_LRS, StandardSSD_LRS, ...
  int size_gb = 128;
  int lun = -1;     // -1: the OS disk
};

struct VirtualMachine {
  std::string subscription;
  std::string resource_group;
  std::string name;
  std::string location;  // "westeurope"
  std::string os_type;   // "Linux" | "Windows"
  std::map<std::string, std::string> tags;
  Disk os_disk;
  std::vector<Disk> data_disks;
};

// Workload identity: the application trusts tokens that an external OIDC issuer (a Kubernetes cluster, say)
// issues to one subject for one audience.
struct FederatedCredential {
  std::string issuer;   // "https://oidc.example.test/cluster1"
  std::string subject;  // "system:serviceaccount:backup:restorepointd"
  std::string audience = "api://AzureADTokenExchange";
  // The issuer's RS256 public key ("-----BEGIN PUBLIC KEY-----", e.g. the cluster's sa.pub). Entra fetches
  // the issuer's keys itself; the emulator cannot, so without this key it checks no signature at all.
  std::optional<std::string> issuer_key_pem{};
};

struct ServicePrincipal {
  std::string tenant_id;
  std::string client_id;
  std::optional<std::string> secret;
  std::optional<std::string> certificate_pem;  // the public certificate whose key signs assertions
  std::optional<std::string> federated_token;  // workload identity, simply: the one accepted assertion
  std::string object_id;
  std::optional<FederatedCredential> federated_credential{};  // workload identity: JWTs from a trusted issuer
};

struct ManagedIdentity {
  std::string client_id;
  std::string object_id;
  std::string resource_id;  // msi_res_id
  bool system_assigned = false;
};

// A role on a scope ("/subscriptions/x" or a resource group id): the principal may read and write there.
struct Grant {
  std::string principal;  // client id of a service principal or managed identity
  std::string scope;
};

// Fault injection: requests that match get a spoiled answer instead of, or on top of, the real one. Status,
// reset and stall rules apply to every endpoint, the identity endpoints included; the other deliveries and
// fail_operation to Resource Manager's.
struct FaultRule {
  std::string method;         // empty: any
  std::string path_contains;  // empty: any; compared case-insensitively
  double probability = 1.0;
  int count = -1;             // how many times it may still fire; -1: without end
  int status = 0;             // answer this status with an ARM error body instead of the real answer
  std::string code = "InternalServerError";
  int retry_after_seconds = -1;     // adds Retry-After to the error
  // More headers on the error, e.g. Retry-After as an HTTP date, retry-after-ms or x-ms-retry-after-ms.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string delivery = "normal";  // normal | reset | stall | truncated_body | slow | malformed_body
  int delay_ms = 0;                 // with slow
  bool fail_operation = false;      // the long-running operation the request starts ends Failed
};

// What answers GET /metadata/identity/oauth2/token on the plain HTTP listener: an Azure VM's Instance Metadata
// Service, or the Hybrid IMDS (himds) of the Connected Machine agent on an Azure Arc-enabled server, which only
// answers after a challenge read from a key file (see token_service.hpp).
enum class ManagedIdentityFlavour { imds, arc };

struct Fixture {
  std::vector<std::string> tenants;
  std::vector<ServicePrincipal> service_principals;
  std::vector<ManagedIdentity> managed_identities;
  std::vector<std::string> subscriptions;
  std::vector<std::string> resource_groups;  // resource group ids
  std::vector<VirtualMachine> vms;
  std::vector<Grant> grants;

  // Behaviour switches.
  int page_size = 50;                        // items per page of list operations
  int token_lifetime_seconds = 3600;
  double create_seconds = 40;                // emulated time a restore point create takes
  double delete_seconds = 5;
  double replication_seconds_per_gb = 2;     // cross-region copy progress
  bool lro_location_and_retry_after = false; // add Location and Retry-After to creates (2025-11-01 spec)
  int retry_after_seconds = 0;               // 0: no Retry-After header on operations
  // Token bucket per subscription and principal (AZURE.md section 4): capacity and refill per second.
  double read_bucket = 250, read_refill = 25;
  double write_bucket = 200, write_refill = 10;
  double delete_bucket = 200, delete_refill = 10;
  // Azure's limits (AZURE.md section 3); a test may relax or tighten them.
  int points_per_vm = 500;
  int creates_per_vm_per_hour = 3;
  int copies_per_collection_per_hour = 3;
  int instant_access_in_flight = 50;  // per subscription and region
  // A create while another runs on the VM: refused at once with 409 (false), or accepted with 201 and its
  // operation failing with VMRestorePointClientError (true). Azure's choice is not known.
  bool concurrent_create_fails_as_operation = false;
  // The managed identity endpoints of the plain HTTP listener. settings.managed_identity_flavour: imds | arc.
  ManagedIdentityFlavour managed_identity_flavour = ManagedIdentityFlavour::imds;
  // settings.app_service_identity_header: the secret App Service and Functions put in IDENTITY_HEADER. Set, the
  // listener also answers GET /msi/token (IDENTITY_ENDPOINT) for requests that carry it as X-IDENTITY-HEADER;
  // unset, that path is 404 as on a VM.
  std::optional<std::string> app_service_identity_header;
  std::vector<FaultRule> faults;
};

Result<Fixture> load_fixture(const std::string& path);
Result<Fixture> parse_fixture(const std::string& yaml_text);
// `base_dir` resolves relative certificate_file and federated_issuer_key_file paths.
Result<Fixture> parse_fixture(const std::string& yaml_text, const std::string& base_dir);

}  // namespace rpd::emulator
