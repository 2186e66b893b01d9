import ArgumentParser
import Foundation
import ORDPAuth
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPRPC
import ORDPServiceKit

/// `ordp-catalogue`: the catalogue service as its own process.
@main
struct CatalogueCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ordp-catalogue",
    abstract:
      "ORDP catalogue: the towns' datasets (DCAT-AP.de), revisions, search, change feed, export.")

  @OptionGroup var server: ServerOptions
  @OptionGroup var identity: IdentityClientOptions
  @Option(help: "Port to listen on (0: any free port).") var port = 7445
  @Option(help: "Directory of the database (created when missing).") var dataDir =
    ".ordp/catalogue"
  @Option(help: "Where the datasets live on the web: the RDF export's IRIs start with it.")
  var baseIri = "https://data.ordp.local/"

  func run() async throws {
    let logger = server.bootstrapLogging(label: "ordp.catalogue")
    let store = try SQLiteCatalogueStore(directory: URL(fileURLWithPath: dataDir))
    try await ServiceRunner.serve(
      "ordp-catalogue", options: server, port: port, identity: identity,
      healthName: Ordp_Catalogue_V1_Catalogue.serviceName,
      anonymousMethods: CatalogueService.anonymousMethods,
      handlerExecution: CatalogueService.handlerExecution, logger: logger
    ) { identityChannel in
      let directory = OrganisationDirectory(channel: identityChannel, logger: logger)
      let service = CatalogueService(
        store: store, logger: logger, baseIRI: baseIri,
        publisherNames: { await directory.displayNames() })
      try await service.warmUp()
      return service
    }
  }
}
