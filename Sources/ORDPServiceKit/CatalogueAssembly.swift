public import Foundation
public import Logging
public import ORDPCatalogue
import ORDPCatalogueAPI

/// The catalogue put together: its store, service (warmed up) and demo datasets if asked.
public enum CatalogueAssembly {
  public static let defaultPort = 7445

  public struct Options: Sendable {
    public var dataDirectory: URL
    /// Where the datasets live on the web: the RDF export's IRIs start with it.
    public var baseIRI = "https://data.ordp.local/"
    /// The platform's `dcatde:contributorID` (GovData assigns it), on every exported dataset.
    public var contributorID: String? = nil
    /// Demo datasets to create in an empty catalogue (`ordp dev up`); 0 for none.
    public var demoDatasets = 0
    /// The towns whose demo datasets to create (a partition's); nil for every town.
    public var demoTowns: Set<String>? = nil
    /// What the demo data is made relative to (microseconds since 1970); nil for now.
    public var demoTime: Int64? = nil
    public var admission = CatalogueService.Admission.defaults

    public init(dataDirectory: URL) { self.dataDirectory = dataDirectory }
  }

  /// Opens the store in the data directory and assembles the catalogue on it.
  public static func assemble(
    _ options: Options, identity: IdentityLink, logger: Logger
  ) async throws -> ServiceAssembly {
    try await assemble(
      options, store: try SQLiteCatalogueStore(directory: options.dataDirectory),
      identity: identity, logger: logger)
  }

  /// Seeds demo datasets into `store` when asked, builds and warms up the service (benchmarks
  /// pass the store they also read).
  public static func assemble(
    _ options: Options, store: any CatalogueStore, identity: IdentityLink, logger: Logger
  ) async throws -> ServiceAssembly {
    if options.demoDatasets > 0 {
      let created = try await SyntheticCatalogue.seedDemo(
        into: store, count: options.demoDatasets, towns: options.demoTowns,
        at: options.demoTime ?? Int64(Date().timeIntervalSince1970 * 1_000_000))
      if created > 0 { logger.info("created \(created) demo datasets") }
    }
    let service = CatalogueService(
      store: store, logger: logger, baseIRI: options.baseIRI, contributorID: options.contributorID,
      towns: identity.towns, admission: options.admission)
    try await service.warmUp()
    return ServiceAssembly(
      name: "ordp-catalogue", defaultPort: defaultPort, services: [service],
      healthNames: [Ordp_Catalogue_V1_Catalogue.serviceName],
      anonymousMethods: CatalogueService.anonymousMethods, verifier: identity.verifier,
      handlerExecution: CatalogueService.handlerExecution, background: identity.background,
      shutdown: { identity.close() })
  }
}
