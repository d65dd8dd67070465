"""Deploy: plan and push the searches to live SIEMs."""
