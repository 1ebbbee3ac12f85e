#include "core/settings.hpp"

namespace rpd {

CloudEndpoints endpoints_of(Cloud cloud) {
  switch (cloud) {
    case Cloud::azure_public:
      return {"https://management.azure.com", "https://login.microsoftonline.com", "http://169.254.169.254",
              "https://management.azure.com/.default"};
    case Cloud::azure_us_government:
      return {"https://management.usgovcloudapi.net", "https://login.microsoftonline.us", "http://169.254.169.254",
              "https://management.usgovcloudapi.net/.default"};
    case Cloud::azure_china:
      return {"https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn", "http://169.254.169.254",
              "https://management.chinacloudapi.cn/.default"};
    case Cloud::custom:
      break;
  }
  return {};
}

}  // namespace rpd
