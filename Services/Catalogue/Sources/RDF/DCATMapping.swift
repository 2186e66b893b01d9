import Foundation
public import ORDPAuth
public import ORDPCatalogueAPI

/// Maps catalogue datasets onto DCAT-AP.de as `RDFNode`s: the catalogue, each dataset with its
/// distributions, contact point, location, period and checksums, and each publisher once.
/// Blank nodes are numbered per document (with `blankPrefix` per part of a document joined
/// from several), so one mapping serves one export. I/O-free.
public struct DCATMapping: Sendable {
  /// The IRIs of datasets, distributions and organisations start with this ("https://…/").
  public let baseIRI: String
  /// The publishing towns by organisation id: display names (the id stands in for a missing
  /// one) and municipality keys (a dataset without political geocoding of its own is geocoded
  /// to its town's).
  public let towns: [String: TownInfo]
  /// The platform's `dcatde:contributorID` (the IRI GovData assigned), on every dataset.
  public let contributorID: String?
  /// Starts every blank node's label: "b", or one per part of a document joined from parts.
  public var blankPrefix = "b"
  private var blankCount = 0
  private var publishersSeen = Set<String>()
  /// Geocoding IRIs already typed `dct:Location` in this document (a town's key is shared by
  /// all its datasets: typed once, not once per dataset).
  private var locationsSeen = Set<String>()

  public init(
    baseIRI: String, towns: [String: TownInfo] = [:], contributorID: String? = nil
  ) {
    self.baseIRI = baseIRI.hasSuffix("/") ? baseIRI : baseIRI + "/"
    self.towns = towns
    self.contributorID = contributorID
  }

  static let themeBase = "http://publications.europa.eu/resource/authority/data-theme/"
  static let fileTypeBase = "http://publications.europa.eu/resource/authority/file-type/"
  static let accessRightBase = "http://publications.europa.eu/resource/authority/access-right/"
  static let mediaTypeBase = "https://www.iana.org/assignments/media-types/"
  static let municipalityKeyBase =
    "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"
  static let municipalityLevel = "http://dcat-ap.de/def/politicalGeocodingLevel/municipality"

  public func catalogueIRI(publisher: String?) -> String {
    publisher.map { baseIRI + "catalogue/" + Self.segment($0) } ?? baseIRI + "catalogue"
  }

  public func datasetIRI(_ id: String) -> String { baseIRI + "datasets/" + Self.segment(id) }

  public func organisationIRI(_ id: String) -> String {
    baseIRI + "organisations/" + Self.segment(id)
  }

  /// The platform's operator, publisher of the region's catalogue.
  public var operatorIRI: String { baseIRI + "operator" }
  public static let operatorName = "Open Regional Data Platform (ORDP)"

  /// The nodes that open an export: the catalogue and its publisher (the town, or the
  /// platform's operator for the whole region's catalogue).
  public mutating func catalogue(publisher: String?) -> [RDFNode] {
    var node = RDFNode(subject: .iri(catalogueIRI(publisher: publisher)), types: ["dcat:Catalog"])
    let name = publisher.map { towns[$0]?.name ?? $0 }
    node.add(
      "dct:title", text: name.map { "ORDP – Datensätze von \($0)" } ?? "ORDP – Regionale Daten")
    node.add(
      "dct:description",
      text: "Datensätze der Open Regional Data Platform" + (name.map { " (\($0))" } ?? ""))
    guard let publisher else {
      node.add("dct:publisher", .iri(operatorIRI))
      var agent = RDFNode(subject: .iri(operatorIRI), types: ["foaf:Organization"])
      agent.add("foaf:name", text: Self.operatorName)
      return [node, agent]
    }
    node.add("dct:publisher", .iri(organisationIRI(publisher)))
    return [node] + self.publisher(publisher)
  }

  /// The publisher's agent node, the first time it is asked for in this document.
  mutating func publisher(_ id: String) -> [RDFNode] {
    guard publishersSeen.insert(id).inserted else { return [] }
    var agent = RDFNode(subject: .iri(organisationIRI(id)), types: ["foaf:Organization"])
    agent.add("foaf:name", text: towns[id]?.name ?? id)
    agent.add("dct:identifier", text: id)
    return [agent]
  }

  /// The nodes of one dataset, including the catalogue's link to it and (the first time it
  /// appears) its publisher.
  public mutating func nodes(
    _ dataset: Ordp_Catalogue_V1_Dataset, catalogue: String
  ) -> [RDFNode] {
    let subject = RDFTerm.iri(datasetIRI(dataset.id))
    var nodes = [
      RDFNode(subject: .iri(catalogue), types: [], properties: [("dcat:dataset", subject)])
    ]
    nodes += publisher(dataset.publisher)
    var node = RDFNode(subject: subject, types: ["dcat:Dataset"])
    node.add("dct:identifier", text: dataset.id)
    node.add("dct:title", text: dataset.title)
    node.add("dct:description", text: dataset.description_p)
    node.add("dct:publisher", .iri(organisationIRI(dataset.publisher)))
    if let contributorID { node.add("dcatde:contributorID", .iri(contributorID)) }
    for keyword in dataset.keywords { node.add("dcat:keyword", text: keyword) }
    for theme in dataset.themes { node.add("dcat:theme", .iri(Self.themeBase + theme)) }
    // Every dataset and distribution carries a licence (DCAT-AP.de requires it of
    // distributions): a distribution without its own has the dataset's.
    node.add("dct:license", .iri(DCATLicences.iri(dataset.license)))
    if dataset.issuedMicros != 0 {
      node.add(
        "dct:issued", .literal(Self.dateTime(dataset.issuedMicros), datatype: "xsd:dateTime"))
    }
    if dataset.modifiedMicros != 0 {
      node.add(
        "dct:modified", .literal(Self.dateTime(dataset.modifiedMicros), datatype: "xsd:dateTime"))
    }
    node.add("dct:accessRights", .iri(Self.accessRightBase + Self.accessRight(dataset.accessLevel)))
    if !dataset.landingPage.isEmpty { node.add("dcat:landingPage", .iri(dataset.landingPage)) }
    if dataset.hasContactPoint { nodes.append(contact(dataset.contactPoint, of: &node)) }
    // Political geocoding as DCAT-AP.de 3.0 has it: the geocoding IRIs as `dct:spatial` (typed
    // `dct:Location`, which the shapes ask of every spatial object; `politicalGeocodingURI` is
    // deprecated), the town's own when the dataset names none.
    var geocoding = dataset.spatial.politicalGeocodingUris
    if geocoding.isEmpty, let key = towns[dataset.publisher]?.municipalityKey, !key.isEmpty {
      geocoding = [Self.municipalityKeyBase + key]
      node.add("dcatde:politicalGeocodingLevelURI", .iri(Self.municipalityLevel))
    }
    for uri in geocoding {
      node.add("dct:spatial", .iri(uri))
      if locationsSeen.insert(uri).inserted {
        nodes.append(RDFNode(subject: .iri(uri), types: ["dct:Location"]))
      }
    }
    if dataset.hasSpatial {
      if dataset.spatial.hasBbox_p { nodes.append(location(dataset.spatial.bbox, of: &node)) }
    }
    if dataset.hasTemporal,
      !dataset.temporal.startDate.isEmpty || !dataset.temporal.endDate.isEmpty
    {
      nodes.append(period(dataset.temporal, of: &node))
    }
    var distributionNodes: [RDFNode] = []
    for distribution in dataset.distributions {
      let iri = datasetIRI(dataset.id) + "/distributions/" + Self.segment(distribution.id)
      node.add("dcat:distribution", .iri(iri))
      distributionNodes += self.distribution(
        distribution, iri: iri,
        license: distribution.license.isEmpty ? dataset.license : distribution.license)
    }
    return nodes + [node] + distributionNodes
  }

  mutating func blank() -> RDFTerm {
    blankCount += 1
    return .blank("\(blankPrefix)\(blankCount)")
  }

  mutating func contact(
    _ contact: Ordp_Catalogue_V1_ContactPoint, of dataset: inout RDFNode
  )
    -> RDFNode
  {
    let subject = blank()
    dataset.add("dcat:contactPoint", subject)
    var node = RDFNode(subject: subject, types: ["vcard:Organization"])
    node.add("vcard:fn", text: contact.name)
    if !contact.email.isEmpty { node.add("vcard:hasEmail", .iri("mailto:" + contact.email)) }
    if !contact.url.isEmpty { node.add("vcard:hasURL", .iri(contact.url)) }
    if !contact.phone.isEmpty {
      node.add("vcard:hasTelephone", .iri("tel:" + contact.phone.filter { !$0.isWhitespace }))
    }
    return node
  }

  mutating func location(
    _ box: Ordp_Catalogue_V1_BoundingBox, of dataset: inout RDFNode
  )
    -> RDFNode
  {
    let subject = blank()
    dataset.add("dct:spatial", subject)
    let (w, s, e, n) = (box.west, box.south, box.east, box.north)
    let polygon = "POLYGON((\(w) \(s), \(e) \(s), \(e) \(n), \(w) \(n), \(w) \(s)))"
    return RDFNode(
      subject: subject, types: ["dct:Location"],
      properties: [("dcat:bbox", .literal(polygon, datatype: "gsp:wktLiteral"))])
  }

  mutating func period(
    _ temporal: Ordp_Catalogue_V1_TemporalCoverage, of dataset: inout RDFNode
  )
    -> RDFNode
  {
    let subject = blank()
    dataset.add("dct:temporal", subject)
    var node = RDFNode(subject: subject, types: ["dct:PeriodOfTime"])
    if !temporal.startDate.isEmpty {
      node.add("dcat:startDate", .literal(temporal.startDate, datatype: "xsd:date"))
    }
    if !temporal.endDate.isEmpty {
      node.add("dcat:endDate", .literal(temporal.endDate, datatype: "xsd:date"))
    }
    return node
  }

  mutating func distribution(
    _ distribution: Ordp_Catalogue_V1_Distribution, iri: String, license: String
  )
    -> [RDFNode]
  {
    var node = RDFNode(subject: .iri(iri), types: ["dcat:Distribution"])
    node.add("dct:title", text: distribution.title)
    node.add("dct:description", text: distribution.description_p)
    node.add("dcat:accessURL", .iri(distribution.accessURL))
    if !distribution.downloadURL.isEmpty {
      node.add("dcat:downloadURL", .iri(distribution.downloadURL))
    }
    if !distribution.format.isEmpty {
      let format = distribution.format.uppercased()
      let isCode = format.unicodeScalars.allSatisfy {
        ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
      }
      node.add(
        "dct:format", isCode ? .iri(Self.fileTypeBase + format) : .literal(distribution.format))
    }
    if !distribution.mediaType.isEmpty {
      node.add("dcat:mediaType", .iri(Self.mediaTypeBase + distribution.mediaType))
    }
    if distribution.byteSize > 0 {
      node.add(
        "dcat:byteSize", .literal(String(distribution.byteSize), datatype: "xsd:nonNegativeInteger")
      )
    }
    node.add("dct:license", .iri(DCATLicences.iri(license)))
    guard distribution.hasChecksum, !distribution.checksum.value.isEmpty else { return [node] }
    let subject = blank()
    node.add("spdx:checksum", subject)
    let algorithm = "http://spdx.org/rdf/terms#checksumAlgorithm_" + distribution.checksum.algorithm
    let checksum = RDFNode(
      subject: subject, types: ["spdx:Checksum"],
      properties: [
        ("spdx:algorithm", .iri(algorithm)),
        ("spdx:checksumValue", .literal(distribution.checksum.value, datatype: "xsd:hexBinary")),
      ])
    return [node, checksum]
  }

  static func accessRight(_ level: Ordp_Catalogue_V1_AccessLevel) -> String {
    switch level {
    case .internal: "RESTRICTED"
    case .restricted: "NON_PUBLIC"
    default: "PUBLIC"
    }
  }

  /// xsd:dateTime in UTC, whole seconds (rounded down; the validator keeps times within the
  /// years 1000 to 9999).
  static func dateTime(_ micros: Int64) -> String {
    let seconds = micros >= 0 ? micros / 1_000_000 : -((-(micros + 1)) / 1_000_000) - 1
    return Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
  }

  /// A path segment: everything but unreserved characters percent-encoded.
  static func segment(_ value: String) -> String {
    var out = ""
    for byte in value.utf8 {
      let c = Character(UnicodeScalar(byte))
      if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
        out.append(c)
      } else {
        out += "%" + RDFVocabulary.hex(byte)
      }
    }
    return out
  }
}
