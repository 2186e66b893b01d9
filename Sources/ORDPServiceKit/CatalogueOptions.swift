public import ArgumentParser
import Foundation

/// `ordp-catalogue`'s own options.
public struct CatalogueOptions: ParsableArguments {
  @Option(help: "Directory of the database (created when missing).") public var dataDir =
    ".ordp/catalogue"
  @Option(help: "Where the datasets live on the web: the RDF export's IRIs start with it.")
  public var baseIri = "https://data.ordp.local/"
  @Option(help: "Demo datasets to create when the catalogue is empty (for ordp dev up).")
  public var demoDatasets = 0

  public init() {}

  public func validate() throws {
    guard (0...100_000).contains(demoDatasets) else {
      throw ValidationError("--demo-datasets must be in 0...100000")
    }
    guard let url = URL(string: baseIri), url.scheme == "https" || url.scheme == "http",
      baseIri.hasSuffix("/")
    else {
      throw ValidationError("--base-iri must be an http(s) URL ending in /")
    }
  }

  /// The assembly's options these stand for.
  public var assemblyOptions: CatalogueAssembly.Options {
    var options = CatalogueAssembly.Options(dataDirectory: URL(fileURLWithPath: dataDir))
    options.baseIRI = baseIri
    options.demoDatasets = demoDatasets
    return options
  }
}
