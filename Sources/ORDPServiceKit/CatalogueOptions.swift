public import ArgumentParser
import Foundation

/// `ordp-catalogue`'s own options.
public struct CatalogueOptions: ParsableArguments {
  @Option(help: "Directory of the database (created when missing).") public var dataDir =
    ".ordp/catalogue"
  @Option(help: "Where the datasets live on the web: the RDF export's IRIs start with it.")
  public var baseIri = "https://data.ordp.local/"
  @Option(
    help:
      "The platform's dcatde:contributorID, the IRI GovData assigned to it (e.g. http://dcat-ap.de/def/contributors/…); put on every exported dataset."
  )
  public var contributorId: String?
  @Option(help: "Demo datasets to create when the catalogue is empty (for ordp dev up).")
  public var demoDatasets = 0
  @Option(help: "Only these towns' demo data, town,… (a partition's; default: every town).")
  public var demoTowns: String?
  @Option(
    help:
      "Time (microseconds since 1970) the demo data is made relative to (default: now); replicas and partitions given the same hold the same data."
  )
  public var demoTime: Int64?

  public init() {}

  public func validate() throws {
    try DemoTowns.check(demoTowns)
    if let demoTime, !(0...253_402_300_799_000_000).contains(demoTime) {
      throw ValidationError("--demo-time must be microseconds within years 1970–9999")
    }
    guard (0...100_000).contains(demoDatasets) else {
      throw ValidationError("--demo-datasets must be in 0...100000")
    }
    guard let url = URL(string: baseIri), url.scheme == "https" || url.scheme == "http",
      baseIri.hasSuffix("/")
    else {
      throw ValidationError("--base-iri must be an http(s) URL ending in /")
    }
    if let contributorId {
      guard let url = URL(string: contributorId), url.scheme == "https" || url.scheme == "http",
        url.host != nil
      else { throw ValidationError("--contributor-id must be an http(s) IRI") }
    }
  }

  /// The assembly's options these stand for.
  public var assemblyOptions: CatalogueAssembly.Options {
    var options = CatalogueAssembly.Options(dataDirectory: URL(fileURLWithPath: dataDir))
    options.baseIRI = baseIri
    options.contributorID = contributorId
    options.demoDatasets = demoDatasets
    options.demoTowns = demoTowns.map(DemoTowns.parse)
    options.demoTime = demoTime
    return options
  }
}
