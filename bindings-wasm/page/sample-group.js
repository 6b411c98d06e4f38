// The group preloaded on the page: the same as examples/data/group.json, with an email.
export const SAMPLE_GROUP = {
  name: "Data Science Bootcamp 2026",
  attributes: [
    { key: "grade", label: "Grade", type: "enum", values: ["Pass", "Merit", "Distinction"], aliases: ["result"] },
    { key: "hours", label: "Course Hours", type: "number", required: true },
    { key: "cohort_start", label: "Cohort Start", type: "date", date_format: "DD/MM/YYYY" },
    { key: "employee_id", label: "Employee ID", type: "text" },
  ],
  email: {
    subject: "Your certificate for {{ group.name }}",
    text: "Dear {{ recipient.name }},\n\nYou completed {{ group.name }} with {{ attributes.grade | default('a pass') }} after {{ attributes.hours }} hours.\n\nYour certificate: {{ credential.url }}\n",
    html: "<p>Dear {{ recipient.name }},</p>\n<p>You completed <strong>{{ group.name }}</strong> with {{ attributes.grade | default('a pass') }} after {{ attributes.hours }} hours.</p>\n<p><a href=\"{{ credential.url }}\">View your certificate</a></p>\n",
  },
};
