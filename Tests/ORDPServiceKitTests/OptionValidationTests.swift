import ArgumentParser
import ORDPServiceKit
import Testing

/// Operators' numbers are range-checked when the executable starts, not turned into overflows.
@Suite struct OptionValidationTests {
  @Test func numbersOutsideTheirRangeAreRefusedNamingTheFlag() {
    let refused: [(any ParsableArguments.Type, [String], String)] = [
      (ServerOptions.self, ["--port", "70000"], "--port"),
      (ServerOptions.self, ["--idle-timeout", "-1"], "--idle-timeout"),
      (ServerOptions.self, ["--log-level", "loud"], "--log-level"),
      (IdentityClientOptions.self, ["--identity-port", "0"], "--identity-port"),
      (IdentityOptions.self, ["--access-token-ttl", "9223372036854775807"], "--access-token-ttl"),
      (IdentityOptions.self, ["--lock-seconds", "-5"], "--lock-seconds"),
      (IdentityOptions.self, ["--scrypt-log-n", "64"], "--scrypt-log-n"),
      (CatalogueOptions.self, ["--base-iri", "ftp://x/"], "--base-iri"),
      (CatalogueOptions.self, ["--demo-datasets", "-1"], "--demo-datasets"),
      (CatalogueOptions.self, ["--contributor-id", "ordp"], "--contributor-id"),
      (AnalyticsOptions.self, ["--retention-interval", "0"], "--retention-interval"),
    ]
    for (type, arguments, flag) in refused {
      do {
        _ = try type.parse(arguments)
        Issue.record("\(arguments) was accepted")
      } catch {
        #expect(type.message(for: error).contains(flag), "\(arguments)")
      }
    }
  }

  @Test func theDefaultsAreValid() throws {
    _ = try ServerOptions.parse([])
    _ = try IdentityClientOptions.parse([])
    _ = try IdentityOptions.parse([])
    _ = try CatalogueOptions.parse([])
    _ = try AnalyticsOptions.parse([])
  }

  @Test func theContributorIDReachesTheCatalogue() throws {
    let iri = "http://dcat-ap.de/def/contributors/ordpRegion"
    let options = try CatalogueOptions.parse(["--contributor-id", iri])
    #expect(options.assemblyOptions.contributorID == iri)
    #expect(try CatalogueOptions.parse([]).assemblyOptions.contributorID == nil)
  }
}
