// The client-compatibility scenario for the JavaScript SDK v3 (@aws-sdk/client-connect):
// drives a running connectlocal at argv[2] and prints what the SDK gave back, as JSON, for
// tests/clients/test_clients.py to check. Types are reported as the SDK exposes them.
import {
  ConnectClient,
  CreateInstanceCommand,
  ListContactFlowsCommand,
  StartTaskContactCommand,
  StartChatContactCommand,
  StartOutboundVoiceContactCommand,
  CreateContactCommand,
  DescribeContactCommand,
  UpdateContactAttributesCommand,
  ResourceNotFoundException,
  paginateSearchContacts,
} from "@aws-sdk/client-connect";

const endpoint = process.argv[2];
const client = new ConnectClient({
  endpoint,
  region: "eu-west-2",
  credentials: { accessKeyId: "AKIDJAVASCRIPT", secretAccessKey: "secret" },
  maxAttempts: 1,
});

const typeOf = (v) => (v instanceof Date ? "Date" : Array.isArray(v) ? "array" : typeof v);
const shape = (obj) =>
  Object.fromEntries(Object.entries(obj).map(([k, v]) =>
    [k, v && typeof v === "object" && !(v instanceof Date) && !Array.isArray(v)
      ? shape(v) : typeOf(v)]));

const out = {};
const instance = await client.send(new CreateInstanceCommand({
  IdentityManagementType: "CONNECT_MANAGED", InstanceAlias: `js-${Date.now()}`,
  InboundCallsEnabled: true, OutboundCallsEnabled: true,
}));
out.instance = { Id: instance.Id, Arn: instance.Arn, status: instance.$metadata.httpStatusCode };
const flows = await client.send(new ListContactFlowsCommand({ InstanceId: instance.Id }));
const inbound = flows.ContactFlowSummaryList.find((f) => f.Name === "Default inbound").Id;

const task = await client.send(new StartTaskContactCommand({
  InstanceId: instance.Id, ContactFlowId: inbound, Name: "From JavaScript",
  Attributes: { customer: "42" }, References: { ticket: { Type: "URL", Value: "https://t/1" } },
}));
const chat = await client.send(new StartChatContactCommand({
  InstanceId: instance.Id, ContactFlowId: inbound, ParticipantDetails: { DisplayName: "Cy" },
}));
const voice = await client.send(new StartOutboundVoiceContactCommand({
  InstanceId: instance.Id, ContactFlowId: inbound, DestinationPhoneNumber: "+15555550100",
  SourcePhoneNumber: "+15555550199",
}));
const created = await client.send(new CreateContactCommand({
  InstanceId: instance.Id, Channel: "TASK", InitiationMethod: "API", Name: "Created",
  InitiateAs: "COMPLETED",
}));
for (let i = 0; i < 3; i++) {
  await client.send(new StartTaskContactCommand({
    InstanceId: instance.Id, ContactFlowId: inbound, Name: `filler ${i}`,
  }));
}
out.started = {
  task: task.ContactId, chat: chat.ContactId, voice: voice.ContactId,
  created: created.ContactId, createdArn: created.ContactArn,
  chatToken: typeOf(chat.ParticipantToken),
};
await client.send(new UpdateContactAttributesCommand({
  InstanceId: instance.Id, InitialContactId: task.ContactId, Attributes: { seen: "yes" },
}));

const described = await client.send(new DescribeContactCommand({
  InstanceId: instance.Id, ContactId: task.ContactId,
}));
out.describe = {
  types: shape(described.Contact),
  contact: described.Contact,
  requestId: described.$metadata.requestId,
  status: described.$metadata.httpStatusCode,
};
const createdContact = await client.send(new DescribeContactCommand({
  InstanceId: instance.Id, ContactId: created.ContactId,
}));
out.describeCompleted = shape(createdContact.Contact);

out.search = { pages: 0, ids: [], totalCounts: [] };
for await (const page of paginateSearchContacts({ client, pageSize: 2 }, {
  InstanceId: instance.Id,
  TimeRange: { Type: "INITIATION_TIMESTAMP", StartTime: new Date("2021-11-12T00:00:00Z"),
               EndTime: new Date("2100-01-01T00:00:00Z") },
  SearchCriteria: { Channels: ["TASK", "CHAT", "VOICE"] },
})) {
  out.search.pages += 1;
  out.search.totalCounts.push(page.TotalCount);
  for (const c of page.Contacts) out.search.ids.push(c.Id);
  out.search.firstType = typeOf(page.Contacts[0]?.InitiationTimestamp);
}

try {
  await client.send(new DescribeContactCommand({
    InstanceId: instance.Id, ContactId: "11111111-1111-4111-8111-111111111111",
  }));
  out.error = null;
} catch (error) {
  out.error = {
    typed: error instanceof ResourceNotFoundException,
    name: error.name,
    message: error.message,
    status: error.$metadata?.httpStatusCode,
    requestId: error.$metadata?.requestId,
    fault: error.$fault,
  };
}
console.log(JSON.stringify(out));
